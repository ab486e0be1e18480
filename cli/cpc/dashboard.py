"""`cpc dashboard`: the executive, on-call and debug dashboards as a static site.

Every page is one self-contained HTML file (styles, charts as inline SVG and a few lines of
script inside it), so it opens from ``file://`` with no network. The figures are the marts'
(customer_costs_daily, customer_costs_monthly, unattributed_costs_*, customer_statements_monthly,
customer_charge_costs_monthly, customer_cost_explanations, customers, and
customer_cost_anomalies when the warehouse has it), summed and ranked by the queries below;
Python only picks the rows and formats them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any

from cpc import charts
from cpc.errors import UserError
from cpc.warehouse import Query

#: The unattributed share of the bill the practice aims to stay under, when the warehouse's last
#: build does not record its own (allocation.yml max_unattributed_share).
DEFAULT_UNATTRIBUTED_GOAL = 0.05
#: The day-range views of the executive charts, offered where the data reaches that far.
VIEWS_DAYS = (30, 90, 365)
#: How many values of a dimension (service, category, rule, driver) a debug chart shows apart;
#: the rest are summed as "other" by the query.
TOP_VALUES = 6
#: The mart a watch on cost writes its anomalies to, used when the warehouse has it.
ANOMALIES = "customer_cost_anomalies"

# --- queries (marts only) -----------------------------------------------------------------------

DAILY_SQL = """
with allocated as (
    select cost_date, sum(allocated_cost) as allocated_cost,
           count(distinct customer_id) as active_customers
    from marts.customer_costs_daily
    group by cost_date
),
unattributed as (
    select cost_date, sum(unattributed_cost) as unattributed_cost
    from marts.unattributed_costs_daily
    where cost_date is not null
    group by cost_date
)
select coalesce(allocated.cost_date, unattributed.cost_date) as cost_date,
       cast(coalesce(allocated.allocated_cost, 0) + coalesce(unattributed.unattributed_cost, 0) as double)
           as total_cost,
       cast(coalesce(allocated.allocated_cost, 0) as double) as allocated_cost,
       cast(coalesce(unattributed.unattributed_cost, 0) as double) as unattributed_cost,
       coalesce(allocated.active_customers, 0) as active_customers,
       cast(allocated.allocated_cost / nullif(allocated.active_customers, 0) as double)
           as cost_per_active_customer
from allocated
full outer join unattributed on allocated.cost_date = unattributed.cost_date
order by cost_date
"""

TOTALS_SQL = """
select
    (select cast(coalesce(sum(allocated_cost), 0) as double) from marts.customer_costs_daily) as allocated_cost,
    (select cast(coalesce(sum(unattributed_cost), 0) as double) from marts.unattributed_costs_daily)
        as unattributed_cost,
    (select cast(coalesce(sum(allocated_cost), 0) as double) from marts.customer_costs_daily)
    + (select cast(coalesce(sum(unattributed_cost), 0) as double) from marts.unattributed_costs_daily)
        as total_cost,
    (select min(cost_date) from marts.customer_costs_daily) as first_date,
    (select max(cost_date) from marts.customer_costs_daily) as last_date,
    (select count(distinct customer_id) from marts.customer_costs_daily) as customers_with_cost,
    (select min(currency) from marts.customer_costs_daily) as currency
"""

SEGMENTS_SQL = """
select month, segment, count(*) as customers,
       cast(sum(total_cost) as double) as total_cost,
       cast(sum(revenue) as double) as revenue,
       cast(sum(total_cost) / nullif(sum(revenue), 0) as double) as cost_to_revenue,
       cast(sum(revenue) - sum(total_cost) as double) as margin,
       cast((sum(revenue) - sum(total_cost)) / nullif(sum(revenue), 0) as double) as margin_share
from marts.customer_costs_monthly
group by month, segment
order by month, total_cost desc, segment
"""

SEGMENT_PERIOD_SQL = """
select segment,
       cast(sum(total_cost) as double) as total_cost,
       cast(sum(revenue) as double) as revenue,
       cast(sum(revenue) - sum(total_cost) as double) as margin
from marts.customer_costs_monthly
group by segment
order by total_cost desc, segment
"""

#: Per customer: cost over the last ``days`` days of the ledger and over the ``days`` before.
MOVERS_SQL = """
with bounds as (select max(cost_date) as last_date from marts.customer_costs_daily),
periods as (
    select costs.customer_id,
           sum(case when date_diff('day', costs.cost_date, bounds.last_date) < {days}
                    then costs.allocated_cost end) as current_cost,
           sum(case when date_diff('day', costs.cost_date, bounds.last_date) >= {days}
                    then costs.allocated_cost end) as previous_cost
    from marts.customer_costs_daily as costs
    cross join bounds
    where date_diff('day', costs.cost_date, bounds.last_date) < 2 * {days}
    group by costs.customer_id
)
select periods.customer_id, customers.customer_name, customers.segment,
       cast(coalesce(periods.current_cost, 0) as double) as current_cost,
       cast(coalesce(periods.previous_cost, 0) as double) as previous_cost,
       cast(coalesce(periods.current_cost, 0) - coalesce(periods.previous_cost, 0) as double) as change,
       cast((coalesce(periods.current_cost, 0) - periods.previous_cost) / nullif(periods.previous_cost, 0)
            as double) as relative_change
from periods
left join marts.customers as customers on periods.customer_id = customers.customer_id
order by abs(coalesce(periods.current_cost, 0) - coalesce(periods.previous_cost, 0)) desc,
         periods.customer_id
limit {limit}
"""

UNATTRIBUTED_SQL = """
select month, reason,
       cast(unattributed_cost as double) as unattributed_cost,
       share_of_total_cost, month_unattributed_share,
       cast(month_total_cost as double) as month_total_cost
from marts.unattributed_costs_monthly
where month is not null
order by month, unattributed_cost desc, reason
"""

#: The largest day-over-day increases of a customer's cost within the last ``days`` days (a day
#: without cost counts as zero).
SPIKES_SQL = """
with bounds as (select max(cost_date) as last_date from marts.customer_costs_daily),
days as (
    select distinct cost_date
    from marts.customer_costs_daily cross join bounds
    where date_diff('day', cost_date, bounds.last_date) <= {days}
),
customer_days as (
    select cost_date, customer_id, sum(allocated_cost) as allocated_cost
    from marts.customer_costs_daily cross join bounds
    where date_diff('day', cost_date, bounds.last_date) <= {days}
    group by cost_date, customer_id
),
grid as (
    select days.cost_date, customer_list.customer_id,
           coalesce(customer_days.allocated_cost, 0) as allocated_cost
    from days
    cross join (select distinct customer_id from customer_days) as customer_list
    left join customer_days
        on days.cost_date = customer_days.cost_date
        and customer_list.customer_id = customer_days.customer_id
),
changes as (
    select cost_date, customer_id, allocated_cost,
           lag(allocated_cost) over (partition by customer_id order by cost_date) as previous_cost
    from grid
)
select changes.cost_date, changes.customer_id, customers.customer_name, customers.segment,
       cast(changes.previous_cost as double) as previous_cost,
       cast(changes.allocated_cost as double) as cost,
       cast(changes.allocated_cost - changes.previous_cost as double) as change
from changes
left join marts.customers as customers on changes.customer_id = customers.customer_id
where changes.previous_cost is not null and changes.allocated_cost > changes.previous_cost
order by changes.allocated_cost - changes.previous_cost desc, changes.cost_date desc,
         changes.customer_id
limit {limit}
"""

CUSTOMER_DAILY_SQL = """
select cost_date, cast(sum(allocated_cost) as double) as allocated_cost
from marts.customer_costs_daily
where customer_id = :customer
group by cost_date
order by cost_date
"""

TOP_CUSTOMERS_SQL = """
select customer_id
from marts.customer_costs_monthly
group by customer_id
order by sum(total_cost) desc, customer_id
limit {limit}
"""

CUSTOMER_SQL = """
select customers.customer_id, customers.customer_name, customers.segment, customers.region_id,
       cast(sum(monthly.total_cost) as double) as total_cost,
       cast(sum(monthly.revenue) as double) as revenue,
       cast(sum(monthly.total_cost) / nullif(sum(monthly.revenue), 0) as double) as cost_to_revenue
from marts.customers as customers
left join marts.customer_costs_monthly as monthly on customers.customer_id = monthly.customer_id
where customers.customer_id = :customer
group by customers.customer_id, customers.customer_name, customers.segment, customers.region_id
"""

#: One customer's daily cost by the values of one ledger column, the TOP_VALUES largest apart.
CUSTOMER_DIMENSION_SQL = """
with costs as (
    select cost_date, {expression} as dimension_value, allocated_cost
    from marts.customer_costs_daily
    where customer_id = :customer
),
ranked as (
    select dimension_value,
           row_number() over (order by abs(sum(allocated_cost)) desc, dimension_value) as position
    from costs
    group by dimension_value
)
select costs.cost_date,
       case when ranked.position <= {top} then ranked.dimension_value else 'other' end
           as dimension_value,
       min(ranked.position) as position,
       cast(sum(costs.allocated_cost) as double) as allocated_cost
from costs
inner join ranked on costs.dimension_value = ranked.dimension_value
group by 1, 2
order by position, costs.cost_date
"""

DIMENSIONS = {
    "service": "coalesce(service_name, '(no service)')",
    "category": "coalesce(cost_category, '(none)')",
    "rule": "rule_name",
    "driver": "coalesce(driver_metric, 'none: ' || allocation_method)",
}

EXPLANATION_SQL = """
select rule_name, allocation_method, service_name, driver_metric,
       cast(sum(customer_driver_quantity) as double) as customer_driver_quantity,
       cast(sum(pools_driver_quantity) as double) as pools_driver_quantity,
       cast(sum(pools_cost) as double) as pools_cost,
       cast(sum(allocated_cost) as double) as allocated_cost
from marts.customer_cost_explanations
where customer_id = :customer
group by rule_name, allocation_method, service_name, driver_metric
order by abs(sum(allocated_cost)) desc, rule_name, service_name
limit {limit}
"""

CHARGES_SQL = """
select month, charge_id, charge_kind, service_name, resource_id, charge_category, rule_name,
       cast(charge_cost_in_pools as double) as charge_cost_in_pools, customer_share,
       cast(customer_cost as double) as customer_cost
from marts.customer_charge_costs_monthly
where customer_id = :customer
order by abs(customer_cost) desc, month, charge_id
limit {limit}
"""

STATEMENT_SQL = """
select month, currency, cast(exact_cost as double) as exact_cost, statement_cost,
       month_statement_total
from marts.customer_statements_monthly
where customer_id = :customer and line_type = 'customer'
order by month
"""


# --- the pages -----------------------------------------------------------------------------------

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       color: #1d1d1f; background: #fafafa; }
header { background: #15324f; color: #fff; padding: 14px 28px; }
header a { color: #cfe3ff; margin-right: 18px; text-decoration: none; }
header h1 { margin: 6px 0 0; font-size: 22px; }
main { padding: 8px 28px 40px; max-width: 1100px; }
section { background: #fff; border: 1px solid #e2e2e2; border-radius: 6px; padding: 12px 18px;
          margin: 16px 0; }
h2 { font-size: 17px; margin: 4px 0 10px; }
p.note { color: #555; font-size: 13px; margin: 4px 0 10px; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0; }
th, td { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: left; }
td { white-space: nowrap; }
td.long { white-space: normal; max-width: 260px; overflow-wrap: anywhere; }
section { overflow-x: auto; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.kpis { display: flex; flex-wrap: wrap; gap: 12px; }
.kpi { background: #fff; border: 1px solid #e2e2e2; border-radius: 6px; padding: 10px 16px;
       min-width: 150px; }
.kpi .value { font-size: 20px; font-weight: 600; }
.kpi .label { font-size: 12px; color: #555; }
.legend { font-size: 12px; margin: 4px 0 0 84px; }
.key { margin-right: 14px; white-space: nowrap; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
.views button { font: inherit; font-size: 12px; margin: 0 4px 8px 0; padding: 2px 10px;
                border: 1px solid #9bb; border-radius: 4px; background: #fff; cursor: pointer; }
.views button.on { background: #15324f; color: #fff; }
.bad { color: #C0392B; } .good { color: #1E8449; }
figure.chart { margin: 0; }
"""

#: Shows one view of a group (its button pressed) and hides the others.
SCRIPT = """
document.querySelectorAll('.views').forEach(function (group) {
  var buttons = group.querySelectorAll('button[data-view]');
  buttons.forEach(function (button) {
    button.addEventListener('click', function () {
      buttons.forEach(function (other) {
        other.classList.toggle('on', other === button);
        document.getElementById(other.dataset.view).hidden = other !== button;
      });
    });
  });
});
"""


@dataclass
class Site:
    """What `cpc dashboard` wrote."""

    out: Path
    pages: list[Path] = field(default_factory=list)
    customers: list[str] = field(default_factory=list)
    anomalies_source: str = ""

    @property
    def index(self) -> Path:
        return self.out / "index.html"


def _cell(value: Any, kind: str = "text") -> str:
    if kind == "money":
        return f'<td class="num">{escape(charts.money(value))}</td>'
    if kind == "percent":
        return f'<td class="num">{escape(charts.percent(value))}</td>'
    if kind == "change":
        css = "bad" if (value or 0) > 0 else "good" if (value or 0) < 0 else ""
        text = "" if value is None else ("+" if value > 0 else "") + charts.money(value)
        return f'<td class="num {css}">{escape(text)}</td>'
    if kind == "number":
        text = "" if value is None else f"{value:,.4f}".rstrip("0").rstrip(".")
        return f'<td class="num">{escape(text)}</td>'
    if kind == "int":
        return f'<td class="num">{"" if value is None else f"{value:,}"}</td>'
    css = ' class="long"' if kind == "long" else ""
    return f"<td{css}>{escape('' if value is None else str(value))}</td>"


def table(table_id: str, columns: Sequence[tuple[str, str, str]], rows: Sequence[dict[str, Any]],
          link: Callable[[dict[str, Any]], str | None] | None = None) -> str:
    """An HTML table; columns are (heading, key, kind), kind one of text, long (text that may
    break anywhere: ids), money, percent, change, number, int. ``link`` may turn a row's customer_id cell (else its first) into a link."""
    head = "".join(f'<th class="{"" if kind in ("text", "long") else "num"}">{escape(heading)}</th>'
                   for heading, _, kind in columns)
    body = []
    for row in rows:
        cells = [_cell(row.get(key), kind) for _, key, kind in columns]
        target = link(row) if link else None
        if target:
            keys = [key for _, key, _ in columns]
            at = keys.index("customer_id") if "customer_id" in keys else 0
            cells[at] = f'<td><a href="{escape(target)}">{escape(str(row.get(keys[at])))}</a></td>'
        body.append("<tr>" + "".join(cells) + "</tr>")
    if not rows:
        body.append(f'<tr><td colspan="{len(columns)}">(none)</td></tr>')
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def figure(chart_id: str, title: str, svg: str) -> str:
    return f'<figure class="chart" id="{chart_id}"><figcaption class="note">{escape(title)}</figcaption>{svg}</figure>'


def views(group_id: str, choices: Sequence[tuple[str, str]]) -> str:
    """Buttons and panels: choices are (label, html) pairs; the last one shows first."""
    buttons, panels = [], []
    for index, (label, body) in enumerate(choices):
        view_id = f"{group_id}-{index}"
        last = index == len(choices) - 1
        buttons.append(f'<button type="button" data-view="{view_id}"{" class=on" if last else ""}>'
                       f"{escape(label)}</button>")
        panels.append(f'<div class="view" id="{view_id}"{"" if last else " hidden"}>{body}</div>')
    return f'<div class="views" id="{group_id}">{"".join(buttons)}{"".join(panels)}</div>'


def page(title: str, body: str, prefix: str = "") -> str:
    """A whole self-contained page; ``prefix`` leads relative links back to the site's root."""
    nav = "".join(f'<a href="{prefix}{href}">{escape(name)}</a>' for name, href in (
        ("Index", "index.html"), ("Executive", "executive.html"), ("On-call", "on-call.html")))
    made = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(title)}</title>"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<style>{STYLE}</style></head><body>"
        f"<header><nav>{nav}</nav><h1>{escape(title)}</h1></header><main>{body}"
        f'<p class="note">Written by cpc dashboard at {made} from the marts of the warehouse.</p>'
        f"</main><script>{SCRIPT}</script></body></html>\n"
    )


def _kpis(items: Sequence[tuple[str, str, str]]) -> str:
    return '<div class="kpis">' + "".join(
        f'<div class="kpi" id="kpi-{key}"><div class="value">{escape(value)}</div>'
        f'<div class="label">{escape(label)}</div></div>' for key, label, value in items) + "</div>"


def _day(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _month(value: Any) -> str:
    return _day(value)[:7]


def customer_page_name(customer_id: str) -> str:
    """customers/<id>.html, with characters a file name cannot hold replaced (and a hash of the
    id added when any were, so two ids never share a page)."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", customer_id)
    if safe != customer_id or safe.startswith("."):
        import hashlib

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


def unattributed_goal(warehouse: Path) -> tuple[float, str]:
    """The unattributed-share goal of the warehouse's last build (its rules'
    max_unattributed_share), else the practice's 5 %; and where it came from."""
    from cpc.build import dbt_paths

    target, _ = dbt_paths(warehouse, "duckdb")
    summary = target / "cpc_build.json"
    try:
        gate = json.loads(summary.read_text()).get("unattributed_gate") or {}
        if gate.get("max_unattributed_share") is not None:
            return float(gate["max_unattributed_share"]), "the rules of the last build"
    except (OSError, ValueError):
        pass
    return DEFAULT_UNATTRIBUTED_GOAL, "the default"


def executive(query: Query, goal: float, goal_source: str, pages: Linker) -> str:
    totals = query(TOTALS_SQL)[0]
    if totals["first_date"] is None:
        raise UserError("the warehouse's customer_costs_daily is empty: nothing to show")
    currency = totals["currency"] or ""
    daily = query(DAILY_SQL)
    share = totals["unattributed_cost"] / totals["total_cost"] if totals["total_cost"] else None
    last = daily[-1]
    body = [_kpis([
        ("total", f"total cost {_day(totals['first_date'])} to {_day(totals['last_date'])} ({currency})",
         charts.money(totals["total_cost"])),
        ("allocated", f"on customers ({currency})", charts.money(totals["allocated_cost"])),
        ("unattributed-share", f"unattributed share (goal under {charts.percent(goal)})",
         charts.percent(share)),
        ("last-day", f"cost on {_day(last['cost_date'])}", charts.money(last["total_cost"])),
        ("last-day-per-customer", f"per active customer on {_day(last['cost_date'])}",
         charts.money(last["cost_per_active_customer"])),
        ("customers", "customers with cost", f"{totals['customers_with_cost']:,}"),
    ])]

    windows = [days for days in VIEWS_DAYS if days < len(daily)] + [len(daily)]
    total_views, per_customer_views = [], []
    for days in windows:
        rows = daily[-days:]
        labels = [_day(row["cost_date"])[5:] for row in rows]
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
    segment_months = sorted({_month(row["month"]) for row in segments})
    ratios: dict[str, list[float | None]] = {}
    for row in segments:
        if row["cost_to_revenue"] is not None:
            ratios.setdefault(row["segment"], [None] * len(segment_months))[
                segment_months.index(_month(row["month"]))] = row["cost_to_revenue"]
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
            ("margin", "margin", "money"), ("margin %", "margin_share", "percent")],
            [{**row, "month_label": _month(row["month"])} for row in segments])
        + "</section>"
    )

    movers = query(MOVERS_SQL.format(days=7, limit=10))
    body.append(
        '<section id="week-over-week"><h2>Top 10 customers by week-over-week change</h2>'
        f'<p class="note">Cost in the 7 days to {_day(totals["last_date"])} against the 7 days '
        "before, largest changes either way.</p>"
        + figure("chart-week-over-week", f"Week-over-week change ({currency})",
                 charts.diverging_bars([row["customer_id"] for row in movers],
                                       [row["change"] for row in movers],
                                       label="Week-over-week change by customer"))
        + _movers_table("week-over-week-table", movers, pages)
        + "</section>"
    )

    reasons = query(UNATTRIBUTED_SQL)
    months = sorted({_month(row["month"]) for row in reasons})
    by_reason: dict[str, list[float]] = {}
    for row in reasons:
        by_reason.setdefault(row["reason"], [0.0] * len(months))[months.index(_month(row["month"]))] = \
            row["share_of_total_cost"] or 0.0
    month_shares = {_month(row["month"]): row["month_unattributed_share"] for row in reasons}
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
            [{**row, "month_label": _month(row["month"])} for row in reasons])
        + "</section>"
    )
    return page("Executive: cost per customer", "".join(body))


def _movers_table(table_id: str, rows: Sequence[dict[str, Any]], pages: Linker) -> str:
    return table(table_id, [
        ("customer", "customer_id", "text"), ("name", "customer_name", "text"),
        ("segment", "segment", "text"), ("before", "previous_cost", "money"),
        ("now", "current_cost", "money"), ("change", "change", "change"),
        ("change %", "relative_change", "percent")],
        rows, link=pages)


def _kind(column: str, rows: Sequence[dict[str, Any]]) -> str:
    """How to show a column of a mart whose shape this module does not fix: amounts (a name
    ending in cost or change) as money, other numbers as numbers, the rest as text."""
    values = [row[column] for row in rows if row.get(column) is not None]
    if not values or not all(isinstance(value, int | float | Decimal) and not isinstance(value, bool)
                             for value in values):
        return "text"
    return "money" if column.endswith(("cost", "change")) else "number"


def _has_table(query: Query, name: str) -> bool:
    rows = query("select count(*) as found from information_schema.tables "
                 "where table_schema = 'marts' and table_name = :name", {"name": name})
    return bool(rows[0]["found"])


def on_call(query: Query, pages: Linker, spike_days: int = 30) -> tuple[str, str]:
    """The on-call page, and where its spikes came from."""
    totals = query(TOTALS_SQL)[0]
    currency = totals["currency"] or ""
    today = query(MOVERS_SQL.format(days=1, limit=10))
    week = query(MOVERS_SQL.format(days=7, limit=10))
    body = [
        '<section id="today"><h2>Today\'s biggest movers</h2>'
        f'<p class="note">Cost on {_day(totals["last_date"])} (the last day in the warehouse) '
        "against the day before.</p>"
        + figure("chart-today", f"Day-over-day change ({currency})",
                 charts.diverging_bars([row["customer_id"] for row in today],
                                       [row["change"] for row in today],
                                       label="Today's change by customer"))
        + _movers_table("today-table", today, pages) + "</section>",
        '<section id="this-week"><h2>This week\'s biggest movers</h2>'
        f'<p class="note">The 7 days to {_day(totals["last_date"])} against the 7 days before.</p>'
        + figure("chart-this-week", f"Week-over-week change ({currency})",
                 charts.diverging_bars([row["customer_id"] for row in week],
                                       [row["change"] for row in week],
                                       label="This week's change by customer"))
        + _movers_table("this-week-table", week, pages) + "</section>",
    ]
    if _has_table(query, ANOMALIES):
        source = f"marts.{ANOMALIES}"
        columns = [row["column_name"] for row in query(
            "select column_name from information_schema.columns where table_schema = 'marts' "
            "and table_name = :name order by ordinal_position", {"name": ANOMALIES})]
        dated = [name for name in columns if name.endswith("_date")]
        order = f"order by {dated[0]} desc" if dated else ""
        rows = query(f"select * from marts.{ANOMALIES} {order} limit 100")
        body.append(
            '<section id="spikes"><h2>Per-customer spikes</h2>'
            f'<p class="note">The anomalies of {escape(source)}, latest first.</p>'
            + table("spikes-table", [(name, name, _kind(name, rows)) for name in columns], rows,
                    link=pages if "customer_id" in columns else None)
            + "</section>")
        return page("On-call: cost movers and spikes", "".join(body)), source
    spikes = query(SPIKES_SQL.format(days=spike_days, limit=20))
    charts_html = []
    shown: list[str] = []
    for spike in spikes:
        if spike["customer_id"] in shown or len(shown) == 4:
            continue
        shown.append(spike["customer_id"])
        series = query(CUSTOMER_DAILY_SQL, {"customer": spike["customer_id"]})[-(spike_days + 1):]
        labels = [_day(row["cost_date"])[5:] for row in series]
        days = [_day(row["cost_date"]) for row in series]
        mark = days.index(_day(spike["cost_date"])) if _day(spike["cost_date"]) in days else None
        charts_html.append(figure(
            f"chart-spike-{len(shown)}",
            f"{spike['customer_id']}: cost per day ({currency}), the spike on {_day(spike['cost_date'])} circled",
            charts.line_chart(labels, {spike["customer_id"]: [row["allocated_cost"] for row in series]},
                              label=f"Daily cost of {spike['customer_id']}", height=200,
                              marks={spike["customer_id"]: mark} if mark is not None else None)))
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
            [{**row, "day": _day(row["cost_date"])} for row in spikes], link=pages)
        + "</section>")
    return page("On-call: cost movers and spikes", "".join(body)), "largest day-over-day increases"


def debug(query: Query, customer_id: str, currency: str) -> str:
    rows = query(CUSTOMER_SQL, {"customer": customer_id})
    if not rows:
        raise UserError(f"--customer: '{customer_id}' is not in customers (customers.csv)")
    customer = rows[0]
    body = [_kpis([
        ("name", "customer", f"{customer['customer_name']} ({customer_id})"),
        ("segment", "segment", customer["segment"] or ""),
        ("total", f"cost over the period ({currency})", charts.money(customer["total_cost"] or 0.0)),
        ("revenue", f"revenue ({currency})", charts.money(customer["revenue"])),
        ("cost-to-revenue", "cost / revenue", charts.percent(customer["cost_to_revenue"])),
    ])]
    days = [_day(row["cost_date"]) for row in query(CUSTOMER_DAILY_SQL, {"customer": customer_id})]
    for name, expression in DIMENSIONS.items():
        found = query(CUSTOMER_DIMENSION_SQL.format(expression=expression, top=TOP_VALUES),
                      {"customer": customer_id})
        series: dict[str, list[float]] = {}
        for row in found:
            series.setdefault(row["dimension_value"], [0.0] * len(days))[
                days.index(_day(row["cost_date"]))] = row["allocated_cost"]
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
            [{**row, "month_label": _month(row["month"])} for row in charges])
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
            [{**row, "month_label": _month(row["month"]),
              "statement_cost": float(row["statement_cost"]),
              "month_statement_total": float(row["month_statement_total"])} for row in statement])
        + "</section>")
    return page(f"Debug: {customer_id}", "".join(body), prefix="../")


def index_page(customers: Sequence[dict[str, Any]], spikes_source: str, totals: dict[str, Any]) -> str:
    body = (
        f'<section><h2>Dashboards</h2><p class="note">Costs from {_day(totals["first_date"])} to '
        f'{_day(totals["last_date"])}, in {escape(totals["currency"] or "")}.</p><ul>'
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


def write(query: Query, out: Path, warehouse: Path, top: int = 10,
          customers: Sequence[str] = ()) -> Site:
    """Write the site into ``out``: index.html, executive.html, on-call.html and
    customers/<id>.html for the ``top`` customers by cost and each of ``customers``."""
    if top < 0:
        raise UserError(f"--top: {top} is negative")
    for customer_id in customers:
        if not query(CUSTOMER_SQL, {"customer": customer_id}):
            raise UserError(f"--customer: '{customer_id}' is not in customers (customers.csv)")
    chosen = [row["customer_id"] for row in query(TOP_CUSTOMERS_SQL.format(limit=int(top)))]
    for customer_id in customers:
        if customer_id not in chosen:
            chosen.append(customer_id)
    linker = customer_links(chosen)
    goal, goal_source = unattributed_goal(warehouse)
    pages = {"executive.html": executive(query, goal, goal_source, linker)}
    pages["on-call.html"], spikes_source = on_call(query, linker)
    details = []
    totals = query(TOTALS_SQL)[0]
    currency = totals["currency"] or ""
    for customer_id in chosen:
        pages[customer_page_name(customer_id)] = debug(query, customer_id, currency)
        details.append(query(CUSTOMER_SQL, {"customer": customer_id})[0])
    pages["index.html"] = index_page(details, spikes_source, totals)
    try:
        (out / "customers").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"--out: {out}: cannot write there ({exc.strerror})") from exc
    site = Site(out=out, customers=chosen, anomalies_source=spikes_source)
    for name, html in pages.items():
        path = out / name
        path.write_text(html, encoding="utf-8")
        site.pages.append(path)
    # A customer page of an earlier run that this one did not write would show old figures.
    for stale in set((out / "customers").glob("*.html")) - set(site.pages):
        stale.unlink()
    return site
