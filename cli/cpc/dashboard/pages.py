"""The pages: executive, on-call, one debug page per customer, and the index."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from html import escape
from typing import Any

from cpc.dashboard import charts
from cpc.dashboard.html import day, figure, kpis, month, page, table, views
from cpc.dashboard.queries import (
    ANOMALIES,
    ANOMALY_SPIKES_SQL,
    CHARGES_SQL,
    CUSTOMER_DAILY_SQL,
    CUSTOMER_DIMENSION_SQL,
    CUSTOMER_SQL,
    DAILY_SQL,
    DIMENSIONS,
    EXPLANATION_SQL,
    MOVERS_SQL,
    SEGMENT_PERIOD_SQL,
    SEGMENTS_SQL,
    SPIKES_SQL,
    STATEMENT_SQL,
    TOP_VALUES,
    TOTALS_SQL,
    UNATTRIBUTED_SQL,
    VIEWS_DAYS,
)
from cpc.errors import UserError
from cpc.warehouse import Query


def customer_page_name(customer_id: str) -> str:
    """customers/<id>.html, with characters a file name cannot hold replaced (and a hash of the
    id added when any were, so two ids never share a page)."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", customer_id)
    if safe != customer_id or safe.startswith("."):
        safe = f"{safe}-{hashlib.sha1(customer_id.encode()).hexdigest()[:8]}"
    return f"customers/{safe}.html"


Linker = Callable[[dict[str, Any]], str | None]


def customer_links(customers: Sequence[str]) -> Linker:
    """A row's link to its customer's debug page, for the customers that have one."""
    written = set(customers)

    def link(row: dict[str, Any]) -> str | None:
        customer_id = row.get("customer_id")
        return customer_page_name(customer_id) if customer_id in written else None

    return link


def executive(query: Query, goal: float, goal_source: str, pages: Linker) -> str:
    totals = query(TOTALS_SQL)[0]
    if totals["first_date"] is None:
        raise UserError("the warehouse's customer_costs_daily is empty: nothing to show")
    currency = totals["currency"] or ""
    daily = query(DAILY_SQL)
    last = daily[-1]
    body = [kpis([
        ("total", f"total cost {day(totals['first_date'])} to {day(totals['last_date'])} ({currency})",
         charts.money(totals["total_cost"])),
        ("allocated", f"on customers ({currency})", charts.money(totals["allocated_cost"])),
        ("unattributed-share", f"unattributed share (goal under {charts.percent(goal)})",
         charts.percent(totals["unattributed_share"])),
        ("last-day", f"cost on {day(last['cost_date'])}", charts.money(last["total_cost"])),
        ("last-day-per-customer", f"per active customer on {day(last['cost_date'])}",
         charts.money(last["cost_per_active_customer"])),
        ("customers", "customers with cost", f"{totals['customers_with_cost']:,}"),
    ])]

    windows = [days for days in VIEWS_DAYS if days < len(daily)] + [len(daily)]
    total_views, per_customer_views = [], []
    for days in windows:
        rows = daily[-days:]
        labels = [day(row["cost_date"])[5:] for row in rows]
        name = f"all {days} days" if days == len(daily) else f"{days} days"
        total_views.append((name, figure(
            f"chart-total-{days}", f"Total cost per day ({currency}): on customers, and unattributed",
            charts.stacked_bars(labels, {
                "on customers": [row["allocated_cost"] for row in rows],
                "unattributed": [row["unattributed_cost"] for row in rows]},
                label=f"Total cost per day, last {days} days"))))
        per_customer_views.append((name, figure(
            f"chart-per-customer-{days}",
            f"Cost per active customer per day ({currency}; allocated cost / customers with cost that day)",
            charts.line_chart(labels, {"cost per active customer": [
                row["cost_per_active_customer"] for row in rows]},
                label=f"Cost per active customer, last {days} days"))))
    body.append('<section id="over-time"><h2>Cost over time</h2>'
                + views("total-views", total_views) + views("per-customer-views", per_customer_views)
                + "</section>")

    segments = query(SEGMENTS_SQL)
    period = query(SEGMENT_PERIOD_SQL)
    segment_months = sorted({month(row["month"]) for row in segments})
    ratios: dict[str, list[float | None]] = {}
    for row in segments:
        if row["cost_to_revenue"] is not None:
            ratios.setdefault(row["segment"], [None] * len(segment_months))[
                segment_months.index(month(row["month"]))] = row["cost_to_revenue"]
    body.append(
        '<section id="segments"><h2>Cost to revenue and margin by segment</h2>'
        '<p class="note">Margin = revenue − cost (revenue.csv, in the reporting currency); '
        "cost-to-revenue is empty where a segment has no revenue.</p>"
        + figure("chart-segment-margin", f"Margin over the whole period by segment ({currency})",
                 charts.diverging_bars([row["segment"] for row in period],
                                       [row["margin"] or 0.0 for row in period],
                                       label="Margin by segment", up_is_good=True))
        + figure("chart-cost-to-revenue", "Cost to revenue by segment and month",
                 charts.line_chart(segment_months, ratios, label="Cost to revenue by segment",
                                   fmt=charts.percent, height=220))
        + table("segments-table", [
            ("month", "month_label", "text"), ("segment", "segment", "text"),
            ("customers", "customers", "int"), ("cost", "total_cost", "money"),
            ("revenue", "revenue", "money"), ("cost / revenue", "cost_to_revenue", "percent"),
            ("margin", "margin", "money"), ("margin %", "margin_share", "percent"),
            ("active customers", "active_customers", "int"),
            ("per active customer", "cost_per_active_customer", "money")],
            [{**row, "month_label": month(row["month"])} for row in segments])
        + "</section>"
    )

    body.append(_movers_section(
        "week-over-week", "Top 10 customers by week-over-week change",
        f"Cost in the 7 days to {day(totals['last_date'])} against the 7 days before, largest changes "
        "either way.", f"Week-over-week change ({currency})", "Week-over-week change by customer",
        query(MOVERS_SQL.format(days=7, limit=10)), pages))

    reasons = query(UNATTRIBUTED_SQL)
    months = sorted({month(row["month"]) for row in reasons})
    by_reason: dict[str, list[float]] = {}
    for row in reasons:
        by_reason.setdefault(row["reason"], [0.0] * len(months))[months.index(month(row["month"]))] = \
            row["share_of_total_cost"] or 0.0
    month_shares = {month(row["month"]): row["month_unattributed_share"] for row in reasons}
    body.append(
        '<section id="unattributed"><h2>Unattributed share by reason</h2>'
        f'<p class="note">Share of each month\'s bill that no rule placed on a customer, against the '
        f"goal of {charts.percent(goal)} ({goal_source}).</p>"
        + figure("chart-unattributed", "Unattributed share of the bill by month and reason",
                 charts.stacked_bars(months, by_reason, label="Unattributed share by reason",
                                     fmt=charts.percent, goal=goal,
                                     goal_label=f"goal {charts.percent(goal)}"))
        + table("unattributed-months-table", [
            ("month", "month", "text"), ("unattributed share", "share", "percent"),
            ("against the goal", "verdict", "text")],
            [{"month": month, "share": month_shares[month],
              "verdict": "over" if (month_shares[month] or 0) > goal else "under"} for month in months])
        + table("unattributed-table", [
            ("month", "month_label", "text"), ("reason", "reason", "text"),
            ("cost", "unattributed_cost", "money"), ("share of bill", "share_of_total_cost", "percent")],
            [{**row, "month_label": month(row["month"])} for row in reasons])
        + "</section>"
    )
    return page("Executive: cost per customer", "".join(body))


def _movers_section(section_id: str, heading: str, note: str, chart_title: str, chart_label: str,
                    rows: Sequence[dict[str, Any]], pages: Linker) -> str:
    """A section of customers whose cost moved (rows of MOVERS_SQL): a bar per customer's change
    and the table (ids ``chart-SECTION`` and ``SECTION-table``)."""
    return (
        f'<section id="{section_id}"><h2>{escape(heading)}</h2><p class="note">{escape(note)}</p>'
        + figure(f"chart-{section_id}", chart_title,
                 charts.diverging_bars([row["customer_id"] for row in rows], [row["change"] for row in rows],
                                       label=chart_label))
        + table(f"{section_id}-table", [
            ("customer", "customer_id", "text"), ("name", "customer_name", "text"),
            ("segment", "segment", "text"), ("before", "previous_cost", "money"),
            ("now", "current_cost", "money"), ("change", "change", "change"),
            ("change %", "relative_change", "percent")],
            rows, link=pages)
        + "</section>")


def _spike_charts(query: Query, spikes: Sequence[dict[str, Any]], currency: str, spike_days: int) -> list[str]:
    """The daily cost of the first four customers among ``spikes`` (rows with customer_id and
    cost_date) over the last ``spike_days`` days, each with its spike circled."""
    charts_html: list[str] = []
    shown: list[str] = []
    for spike in spikes:
        if spike["customer_id"] in shown or len(shown) == 4:
            continue
        shown.append(spike["customer_id"])
        series = query(CUSTOMER_DAILY_SQL, {"customer": spike["customer_id"]})[-(spike_days + 1):]
        labels = [day(row["cost_date"])[5:] for row in series]
        days = [day(row["cost_date"]) for row in series]
        mark = days.index(day(spike["cost_date"])) if day(spike["cost_date"]) in days else None
        charts_html.append(figure(
            f"chart-spike-{len(shown)}",
            f"{spike['customer_id']}: total cost per day ({currency}), {day(spike['cost_date'])} circled",
            charts.line_chart(labels, {spike["customer_id"]: [row["allocated_cost"] for row in series]},
                              label=f"Daily cost of {spike['customer_id']}", height=200,
                              marks={spike["customer_id"]: mark} if mark is not None else None)))
    return charts_html


def _has_table(query: Query, name: str) -> bool:
    rows = query("select count(*) as found from information_schema.tables "
                 "where table_schema = 'marts' and table_name = :name", {"name": name})
    return bool(rows[0]["found"])


def on_call(query: Query, pages: Linker, spike_days: int = 30) -> tuple[str, str]:
    """The on-call page, and where its spikes came from."""
    totals = query(TOTALS_SQL)[0]
    currency = totals["currency"] or ""
    body = [
        _movers_section(
            "today", "Today's biggest movers",
            f"Cost on {day(totals['last_date'])} (the last day in the warehouse) against the day before.",
            f"Day-over-day change ({currency})", "Today's change by customer",
            query(MOVERS_SQL.format(days=1, limit=10)), pages),
        _movers_section(
            "this-week", "This week's biggest movers",
            f"The 7 days to {day(totals['last_date'])} against the 7 days before.",
            f"Week-over-week change ({currency})", "This week's change by customer",
            query(MOVERS_SQL.format(days=7, limit=10)), pages),
    ]
    if _has_table(query, ANOMALIES):
        source = f"marts.{ANOMALIES}"
        rows = query(ANOMALY_SPIKES_SQL.format(limit=100))
        columns = [("day", "cost_date", "text"), ("customer", "customer_id", "long"),
                   ("name", "customer_name", "text"), ("scope", "scope", "text"),
                   ("severity", "severity", "text"), ("observed", "observed_cost", "money"),
                   ("expected", "expected_cost", "money"), ("upper band", "upper_band", "money"),
                   ("score", "score", "number"), ("episode", "anomaly_id", "long")]
        body.append(
            '<section id="spikes"><h2>Per-customer spikes</h2>'
            f'<p class="note">The anomalies of {escape(source)} (docs/anomalies.md), latest first; '
            "the days of one episode share its id.</p>"
            + "".join(_spike_charts(query, rows, currency, spike_days))
            + table("spikes-table", columns, rows, link=pages)
            + "</section>")
        return page("On-call: cost movers and spikes", "".join(body)), source
    spikes = query(SPIKES_SQL.format(days=spike_days, limit=20))
    charts_html = _spike_charts(query, spikes, currency, spike_days)
    body.append(
        '<section id="spikes"><h2>Per-customer spikes</h2>'
        f'<p class="note">The warehouse has no {ANOMALIES} mart: the largest day-over-day increases '
        f"of a customer's cost in the last {spike_days} days (a day without cost counts as zero).</p>"
        + "".join(charts_html)
        + table("spikes-table", [
            ("customer", "customer_id", "text"), ("name", "customer_name", "text"),
            ("segment", "segment", "text"), ("day", "day", "text"),
            ("day before", "previous_cost", "money"), ("that day", "cost", "money"),
            ("change", "change", "change")],
            [{**row, "day": day(row["cost_date"])} for row in spikes], link=pages)
        + "</section>")
    return page("On-call: cost movers and spikes", "".join(body)), "largest day-over-day increases"


def debug(query: Query, customer_id: str, currency: str) -> str:
    rows = query(CUSTOMER_SQL, {"customer": customer_id})
    if not rows:
        raise UserError(f"--customer: '{customer_id}' is not in customers (customers.csv)")
    customer = rows[0]
    body = [kpis([
        ("name", "customer", f"{customer['customer_name']} ({customer_id})"),
        ("segment", "segment", customer["segment"] or ""),
        ("total", f"cost over the period ({currency})", charts.money(customer["total_cost"] or 0.0)),
        ("revenue", f"revenue ({currency})", charts.money(customer["revenue"])),
        ("cost-to-revenue", "cost / revenue", charts.percent(customer["cost_to_revenue"])),
    ])]
    days = [day(row["cost_date"]) for row in query(CUSTOMER_DAILY_SQL, {"customer": customer_id})]
    for name, expression in DIMENSIONS.items():
        found = query(CUSTOMER_DIMENSION_SQL.format(expression=expression, top=TOP_VALUES),
                      {"customer": customer_id})
        series: dict[str, list[float]] = {}
        for row in found:
            series.setdefault(row["dimension_value"], [0.0] * len(days))[
                days.index(day(row["cost_date"]))] = row["allocated_cost"]
        body.append(
            f'<section id="by-{name}"><h2>Cost by {name}</h2>'
            + figure(f"chart-{name}", f"Cost per day by {name} ({currency})",
                     charts.stacked_bars([day[5:] for day in days], series,
                                         label=f"Cost of {customer_id} by {name}"))
            + "</section>")
    explanation = query(EXPLANATION_SQL.format(limit=25), {"customer": customer_id})
    body.append(
        '<section id="drivers"><h2>Rules and drivers</h2>'
        '<p class="note">The whole period: the customer\'s driver against the pools\' total, the '
        "pools' cost and the customer's part (customer_cost_explanations).</p>"
        + table("drivers-table", [
            ("rule", "rule_name", "text"), ("method", "allocation_method", "text"),
            ("service", "service_name", "long"), ("driver", "driver_metric", "text"),
            ("customer's driver", "customer_driver_quantity", "number"),
            ("pools' driver", "pools_driver_quantity", "number"),
            ("pools' cost", "pools_cost", "money"), ("customer's cost", "allocated_cost", "money")],
            explanation)
        + "</section>")
    charges = query(CHARGES_SQL.format(limit=20), {"customer": customer_id})
    body.append(
        '<section id="charges"><h2>The largest charges behind it</h2>'
        + table("charges-table", [
            ("month", "month_label", "text"), ("charge", "charge_id", "long"),
            ("kind", "charge_kind", "text"), ("service", "service_name", "long"),
            ("resource", "resource_id", "long"), ("category", "charge_category", "text"),
            ("rule", "rule_name", "text"), ("charge's cost", "charge_cost_in_pools", "money"),
            ("share", "customer_share", "percent"), ("customer's cost", "customer_cost", "money")],
            [{**row, "month_label": month(row["month"])} for row in charges])
        + "</section>")
    statement = query(STATEMENT_SQL, {"customer": customer_id})
    body.append(
        '<section id="statement"><h2>Statement lines</h2>'
        '<p class="note">customer_statements_monthly: the month\'s line in cents (largest '
        "remainder), the exact amount, and the month's total over all lines.</p>"
        + table("statement-table", [
            ("month", "month_label", "text"), ("currency", "currency", "text"),
            ("statement", "statement_cost", "money"), ("exact", "exact_cost", "number"),
            ("month's total", "month_statement_total", "money")],
            [{**row, "month_label": month(row["month"]),
              "statement_cost": float(row["statement_cost"]),
              "month_statement_total": float(row["month_statement_total"])} for row in statement])
        + "</section>")
    return page(f"Debug: {customer_id}", "".join(body), prefix="../")


def index_page(customers: Sequence[dict[str, Any]], spikes_source: str, totals: dict[str, Any]) -> str:
    body = (
        f'<section><h2>Dashboards</h2><p class="note">Costs from {day(totals["first_date"])} to '
        f'{day(totals["last_date"])}, in {escape(totals["currency"] or "")}.</p><ul>'
        '<li><a href="executive.html">Executive</a>: total cost and cost per active customer over '
        "time, cost to revenue and margin by segment, the top movers week over week, unattributed "
        "share by reason against the goal.</li>"
        f'<li><a href="on-call.html">On-call</a>: today\'s and this week\'s biggest movers, '
        f"per-customer spikes ({escape(spikes_source)}).</li></ul></section>"
        '<section><h2>Debug: one page per customer</h2>'
        '<p class="note">The largest customers by cost and those asked for; another customer\'s '
        "page: <code>cpc dashboard --warehouse W --out DIR --customer ID</code>.</p>"
        + table("customers-table", [
            ("customer", "customer_id", "text"), ("name", "customer_name", "text"),
            ("segment", "segment", "text"), ("cost", "total_cost", "money")],
            customers, link=lambda row: customer_page_name(row["customer_id"]))
        + "</section>"
    )
    return page("Cost per customer: dashboards", body)
