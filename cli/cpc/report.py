"""The per-customer cost report printed by `cpc report` and `make demo`."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from cpc import truth
from cpc.warehouse import Query


def _money(value: Any) -> str:
    return "" if value is None else f"{Decimal(str(value)):,.2f}"


def _percent(value: Any) -> str:
    return "" if value is None else f"{float(value) * 100:.1f} %"


def bill_totals(query: Query) -> dict[str, Any]:
    """The total cost (bill, support, other costs and surcharges), what is on customers, what is
    unattributed, and the surcharges' part (per the marts)."""
    rows = query(
        "select "
        " (select coalesce(sum(allocated_cost), 0) from marts.customer_costs_daily) as allocated,"
        " (select coalesce(sum(unattributed_cost), 0) from marts.unattributed_costs_daily) as unattributed,"
        " (select min(cost_date) from marts.customer_costs_daily) as first_date,"
        " (select max(cost_date) from marts.customer_costs_daily) as last_date,"
        " (select count(*) from marts.customers) as customers,"
        " (select min(currency) from marts.customer_costs_daily) as currency,"
        " (select coalesce(sum(allocated_cost), 0) from marts.customer_costs_daily"
        "  where surcharge_name is not null)"
        " + (select coalesce(sum(unattributed_cost), 0) from marts.unattributed_costs_daily"
        "  where surcharge_name is not null) as surcharges"
    )
    totals = rows[0]
    totals["total"] = Decimal(str(totals["allocated"])) + Decimal(str(totals["unattributed"]))
    return totals


def print_report(query: Query, console: Console | None = None, top: int = 10,
                 truth_path: Path | None = None) -> dict[str, Any]:
    """Print the report; returns the figures it printed (for tests and the benchmark)."""
    console = console or Console()
    totals = bill_totals(query)
    currency = totals["currency"] or ""
    console.rule("[bold]Cost per customer")
    share = (Decimal(str(totals["unattributed"])) / totals["total"]) if totals["total"] else Decimal(0)
    console.print(
        f"{totals['first_date']} to {totals['last_date']}: cost {_money(totals['total'])} {currency}"
        + (f" (surcharges {_money(totals['surcharges'])})" if totals["surcharges"] else "")
        + f", on customers {_money(totals['allocated'])}, unattributed {_money(totals['unattributed'])} "
        f"({_percent(share)}), {totals['customers']:,} customers"
    )

    customers = query(
        "select customer_id, max(customer_name) as customer_name, max(segment) as segment,"
        " sum(total_cost) as total_cost, sum(revenue) as revenue,"
        " sum(compute_cost) as compute_cost, sum(storage_cost) as storage_cost,"
        " sum(database_cost) as database_cost, sum(network_cost) as network_cost,"
        " sum(support_cost) as support_cost, sum(engineering_cost) as engineering_cost"
        " from marts.customer_costs_monthly group by customer_id"
        f" order by total_cost desc, customer_id limit {int(top)}"
    )
    table = Table(title=f"Top {top} customers by cost", title_justify="left")
    for heading in ("customer", "segment", "cost", "compute", "storage", "database", "network",
                    "support", "engineering", "revenue", "cost/revenue"):
        table.add_column(heading, justify="left" if heading in ("customer", "segment") else "right",
                         no_wrap=True)
    for row in customers:
        revenue = row["revenue"]
        ratio = (Decimal(str(row["total_cost"])) / Decimal(str(revenue))) if revenue else None
        table.add_row(row["customer_id"], row["segment"], _money(row["total_cost"]),
                      _money(row["compute_cost"]), _money(row["storage_cost"]),
                      _money(row["database_cost"]), _money(row["network_cost"]),
                      _money(row["support_cost"]), _money(row["engineering_cost"]), _money(revenue),
                      _percent(ratio))
    console.print(table)

    segments = query(
        "select month, segment, customer_count, total_cost, mean_cost_per_customer,"
        " median_cost_per_customer, p90_cost_per_customer"
        " from marts.segment_costs_monthly order by month, total_cost desc"
    )
    table = Table(title="Segments by month", title_justify="left")
    for heading in ("month", "segment", "customers", "cost", "mean", "median", "p90"):
        table.add_column(heading, justify="left" if heading in ("month", "segment") else "right")
    for row in segments:
        table.add_row(str(row["month"])[:7], row["segment"], f"{row['customer_count']:,}",
                      _money(row["total_cost"]), _money(row["mean_cost_per_customer"]),
                      _money(row["median_cost_per_customer"]), _money(row["p90_cost_per_customer"]))
    console.print(table)

    reasons = query(
        "select reason, sum(unattributed_cost) as unattributed_cost,"
        " sum(quarantined_row_count) as quarantined_rows"
        " from marts.unattributed_costs_monthly group by reason order by unattributed_cost desc"
    )
    table = Table(title="Unattributed cost by reason", title_justify="left")
    for heading in ("reason", "cost", "share of bill", "quarantined rows"):
        table.add_column(heading, justify="left" if heading == "reason" else "right")
    for row in reasons:
        part = Decimal(str(row["unattributed_cost"])) / totals["total"] if totals["total"] else None
        table.add_row(row["reason"], _money(row["unattributed_cost"]), _percent(part),
                      f"{int(row['quarantined_rows'] or 0):,}")
    console.print(table)

    figures: dict[str, Any] = {"totals": totals, "top_customers": customers, "reasons": reasons}
    if truth_path is not None and truth_path.is_file():
        result = truth.score(query, truth_path)
        figures["truth"] = result
        console.print(
            f"Against the ground truth ({truth_path.name}): weighted absolute error "
            f"{result.wape * 100:.2f} % over {result.customer_months:,} customer-months "
            f"(true {_money(result.true_total)}, allocated {_money(result.allocated_total)}; "
            f"the end-to-end test fails above {truth.WAPE_BOUND * 100:.0f} %)"
        )
    anomalies_path = truth_path.with_name("ground_truth_anomalies.csv") if truth_path else None
    if anomalies_path is not None and anomalies_path.is_file():
        found = truth.score_anomalies(query, anomalies_path)
        figures["anomalies"] = found
        console.print(
            f"Cost anomalies against {anomalies_path.name}: precision {found.precision:.2f} "
            f"({found.episodes - len(found.false_episodes)} of {found.episodes} episodes are injected "
            f"anomalies), recall {found.recall:.2f} ({len(found.found)} of {found.anomalies} found); "
            f"{found.true_flagged_days} of {found.flagged_days} flagged customer-days inside one"
        )
    unit_costs_path = truth_path.with_name("ground_truth_unit_costs.csv") if truth_path else None
    if unit_costs_path is not None and unit_costs_path.is_file():
        marginal = truth.score_marginal(query, unit_costs_path)
        figures["marginal"] = marginal
        console.print(
            f"Marginal cost against {unit_costs_path.name}: weighted error {marginal.wape * 100:.2f} % over "
            f"{len(marginal.reliable)} of {len(marginal.estimates)} family-months judged reliable "
            f"(the end-to-end test fails above {truth.MARGINAL_BOUND * 100:.0f} %)"
        )
    return figures
