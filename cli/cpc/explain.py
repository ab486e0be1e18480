"""`cpc explain`: why one customer cost what it did in one month — by rule, method, service and
driver (from the customer_cost_explanations mart), and the largest charges behind it (following
ledger row → cost pool → allocation candidate → prorated charge-days)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

from cpc.errors import UserError
from cpc.warehouse import Query

BREAKDOWN_SQL = """
select rule_name, rule_version, allocation_method, service_name, cost_category, driver_metric, currency,
       days, customer_driver_quantity, pools_driver_quantity, pools_cost, allocated_cost
from marts.customer_cost_explanations
where customer_id = :customer and month = cast(:month as date)
order by allocated_cost desc, rule_name, service_name
"""

CHARGES_SQL = """
select charge_days.charge_id, max(charges.service_name) as service_name,
       max(charges.resource_id) as resource_id, max(charges.charge_category) as charge_category,
       max(charges.charge_description) as charge_description, max(ledger.rule_name) as rule_name,
       sum(charge_days.effective_cost) as charge_cost_in_pools,
       sum(cast(charge_days.effective_cost as double) * cast(ledger.allocated_cost as double)
           / cast(pools.pool_cost as double)) as customer_cost
from marts.customer_costs_daily as ledger
inner join intermediate.int_cost_pools as pools on ledger.pool_id = pools.pool_id
inner join intermediate.int_cost_candidates as candidates on candidates.pool_id = pools.pool_id
inner join intermediate.int_charge_days_matched as charge_days on charge_days.candidate_id = candidates.candidate_id
inner join intermediate.int_charges_deduplicated as charges on charges.charge_id = charge_days.charge_id
where ledger.customer_id = :customer
  and ledger.cost_date >= cast(:month as date) and ledger.cost_date < cast(:next_month as date)
group by charge_days.charge_id
order by abs(sum(cast(charge_days.effective_cost as double) * cast(ledger.allocated_cost as double)
                 / cast(pools.pool_cost as double))) desc, charge_days.charge_id
limit {limit}
"""


def parse_month(text: str) -> date:
    """'YYYY-MM' → the first day of that month (UserError otherwise)."""
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError as exc:
        raise UserError(f"--month: '{text}' is not a month (YYYY-MM)") from exc


def explain(query: Query, customer: str, month_text: str, top: int = 10) -> dict[str, Any]:
    """The breakdown rows and the largest charges for one customer-month."""
    month = parse_month(month_text)
    next_month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    known = query("select customer_id from marts.customers where customer_id = :customer",
                  {"customer": customer})
    if not known:
        raise UserError(f"customer '{customer}' is not in customers (customers.csv)")
    params = {"customer": customer, "month": month.isoformat()}
    breakdown = query(BREAKDOWN_SQL, params)
    charges = query(CHARGES_SQL.format(limit=int(top)), {**params, "next_month": next_month.isoformat()})
    total = sum((Decimal(str(row["allocated_cost"])) for row in breakdown), Decimal(0))
    return {"customer_id": customer, "month": month.isoformat()[:7], "total_cost": total,
            "breakdown": breakdown, "charges": charges}


def _number(value: Any, places: int = 2) -> str:
    return "" if value is None else f"{Decimal(str(value)):,.{places}f}"


def render(result: dict[str, Any], output_format: str, console: Console) -> None:
    """Print the explanation as rich tables, CSV (the breakdown) or JSON (everything)."""
    if output_format == "json":
        console.print_json(json.dumps(result, default=str))
        return
    if output_format == "csv":
        buffer = io.StringIO()
        rows = result["breakdown"]
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else ["rule_name"])
        writer.writeheader()
        writer.writerows(rows)
        console.out(buffer.getvalue().rstrip("\n"), highlight=False)
        return
    if output_format != "table":
        raise UserError(f"--format: '{output_format}' is not one of table, csv, json")
    total = result["total_cost"]
    currency = result["breakdown"][0]["currency"] if result["breakdown"] else ""
    console.rule(f"[bold]{result['customer_id']} in {result['month']}: {_number(total)} {currency}")
    table = Table(title="By rule, service and driver", title_justify="left")
    for heading in ("rule", "method", "service", "driver", "customer's driver", "pools' driver",
                    "pools' cost", "cost", "share"):
        table.add_column(heading, justify="left" if heading in ("rule", "method", "service", "driver") else "right")
    for row in result["breakdown"]:
        cost = Decimal(str(row["allocated_cost"]))
        table.add_row(row["rule_name"], row["allocation_method"], row["service_name"] or "",
                      row["driver_metric"] or "", _number(row["customer_driver_quantity"], 3),
                      _number(row["pools_driver_quantity"], 3), _number(row["pools_cost"]),
                      _number(cost), f"{cost / total * 100:.1f} %" if total else "")
    console.print(table)
    table = Table(title="Largest charges behind it (the customer's part of each)", title_justify="left")
    for heading in ("charge (file:row)", "service", "resource", "category", "rule", "charge in pools", "customer's part"):
        table.add_column(heading, justify="right" if heading.startswith(("charge in", "customer")) else "left")
    for row in result["charges"]:
        table.add_row(row["charge_id"], row["service_name"] or "", row["resource_id"] or "",
                      row["charge_category"] or "", row["rule_name"] or "",
                      _number(row["charge_cost_in_pools"], 4), _number(row["customer_cost"], 4))
    console.print(table)
