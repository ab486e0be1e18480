"""`cpc watch`: the day's digest of what needs attention, for a scheduler or a chat hook.

For one day (default: the ledger's last day) it reads the marts of a built warehouse and lists:

* **anomalies** (customer_cost_anomalies): every episode flagged on the day. An episode alerts
  once: it pages on the first day it reaches ``page`` severity, it is a ticket on its first day
  otherwise, and on its later days it is listed as ``ongoing`` without alerting again.
* **budgets** (customer_budget_burn): every customer alerting on the day; a ticket on the first
  day of the month it alerts, ``ongoing`` after that.
* **estimated billing** (billing_periods): the billing periods up to the day that the last build
  found still estimated (their figures can move when the provider delivers the final bill), as
  ``info``.
* **restatements** (customer_cost_restatements): the customer-months up to the day's month that
  the latest build recording any restatement moved (before, after, reason; docs/restatements.md),
  as ``info``.
* **reconciliation drifts** (telemetry_bill_reconciliation): every usage rule, service and level
  whose telemetry drifted from the billed quantity beyond the tolerance on the day. A ticket, not a
  page: the bill is still allocated in full and conserved, only the split among customers may be
  off, so someone looks at the metering in working hours. A drift that was there the day before
  is ``ongoing``.
* **held-back telemetry** (int_days_held_back, from the last build): the days whose telemetry
  changed more than the lookback window before the input's latest day. They keep their earlier
  allocation until a build with ``--reprocess-from`` allocates them: a ticket, whatever the day.
* **unattributed cost** (unattributed_costs_monthly): the month's unattributed share against the
  goal (the build's ``max_unattributed_share``, else 5 %): a ticket above it, ``info`` below.

The exit code says whether anything needs a page: 1 when an item is a page, else 0 (2 is an error,
as for every command).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from cpc.dashboard.charts import money
from cpc.errors import UserError
from cpc.warehouse import Query

#: What each level means for whoever reads the digest; a page wakes someone up.
LEVELS: tuple[str, ...] = ("page", "ticket", "ongoing", "info")
FORMATS: tuple[str, ...] = ("text", "json", "markdown")

ANOMALIES_SQL = """
select anomaly_id, customer_id, min(cost_date) as first_date,
       bool_or(cost_date = :day and severity = 'page') as pages_today,
       bool_or(cost_date < :day and severity = 'page') as paged_before,
       max(case when cost_date = :day and scope = 'total' then observed_cost end) as observed_cost,
       max(case when cost_date = :day and scope = 'total' then expected_cost end) as expected_cost,
       array_to_string(list_sort(list(distinct scope) filter (where cost_date = :day)), ', ') as scopes
from marts.customer_cost_anomalies
where cost_date <= :day
group by anomaly_id, customer_id
having bool_or(cost_date = :day)
order by anomaly_id
"""

BUDGETS_SQL = """
select today.customer_id, today.month_to_date_cost, today.budget_amount, today.burn_rate,
       today.forecast_month_end_cost, today.alert_reason,
       coalesce(yesterday.is_alert, false) as alerted_yesterday
from marts.customer_budget_burn as today
left join marts.customer_budget_burn as yesterday
    on today.customer_id = yesterday.customer_id
    and today.currency = yesterday.currency
    and yesterday.cost_date = today.cost_date - 1
    and yesterday.cost_month = today.cost_month
where today.cost_date = :day and today.is_alert
order by today.customer_id
"""

ESTIMATED_SQL = """
select billing_format, billing_account_id, billing_period_start_date
from marts.billing_periods
where period_status = 'estimated' and billing_period_start_date <= :day
order by billing_period_start_date, billing_format, billing_account_id
"""

RESTATEMENTS_SQL = """
select customer_id, month, currency, reason, cost_before, cost_after, cost_delta, recorded_at
from marts.customer_cost_restatements
where recorded_at = (select max(recorded_at) from marts.customer_cost_restatements) and month <= :day
order by abs(cost_delta) desc, month, customer_id
"""

DRIFTS_SQL = """
select today.rule_name, today.service_name, today.metric, today.driver_level, today.driver_value,
       today.billed_unit, today.telemetry_quantity, today.billed_quantity, today.telemetry_to_billed_ratio,
       today.drift_tolerance, today.effective_cost, coalesce(yesterday.is_drift, false) as drifted_yesterday
from marts.telemetry_bill_reconciliation as today
left join marts.telemetry_bill_reconciliation as yesterday
    on today.rule_name = yesterday.rule_name
    and today.service_name = yesterday.service_name
    and today.metric = yesterday.metric
    and today.driver_level = yesterday.driver_level
    and today.driver_value = yesterday.driver_value
    and yesterday.cost_date = today.cost_date - 1
where today.cost_date = :day and today.is_drift
order by today.rule_name, today.service_name, today.driver_level, today.driver_value
"""

HELD_BACK_FOUND_SQL = """
select count(*) as found from information_schema.tables
where table_schema = 'intermediate' and table_name = 'int_days_held_back'
"""

HELD_BACK_SQL = """
select min(cost_date) as first_day, max(cost_date) as last_day, count(*) as days
from intermediate.int_days_held_back
"""

UNATTRIBUTED_SQL = """
select max(month_unattributed_share) as share,
       arg_max(reason, unattributed_cost) as top_reason
from marts.unattributed_costs_monthly
where month = date_trunc('month', cast(:day as date))
"""


@dataclass(frozen=True)
class Item:
    """One line of the digest."""

    level: str
    kind: str
    subject: str
    detail: str


@dataclass(frozen=True)
class Digest:
    """The digest of one day."""

    day: date
    items: tuple[Item, ...]

    @property
    def needs_page(self) -> bool:
        return any(item.level == "page" for item in self.items)

    def counts(self) -> dict[str, int]:
        return {level: sum(item.level == level for item in self.items) for level in LEVELS}


def _money(value: Any) -> str:
    return money(float(value))


def _number(value: Any) -> str:
    number = float(value)
    return f"{number:,.0f}" if abs(number) >= 1000 else f"{number:.4g}"


def _drift_subject(row: dict[str, Any]) -> str:
    level = "" if row["driver_level"] == "service" else f" ({row['driver_level']} {row['driver_value']})"
    service = "every service" if row["service_name"] == "*" else row["service_name"]
    return f"{service} {row['metric']}{level}"


def _drift_detail(row: dict[str, Any]) -> str:
    tolerance = f"tolerance {float(row['drift_tolerance']) * 100:g}%"
    if row["telemetry_to_billed_ratio"] is None:
        compared = f"telemetry {_number(row['telemetry_quantity'] or 0)} against nothing billed in {row['billed_unit']}"
    else:
        compared = (f"telemetry {_number(row['telemetry_quantity'])} against {_number(row['billed_quantity'])} "
                    f"{row['billed_unit']} billed, ratio {float(row['telemetry_to_billed_ratio']):.2f}")
    return f"{compared} ({tolerance}); rule {row['rule_name']}, cost {_money(row['effective_cost'])}"


def _last_day(query: Query) -> date:
    rows = query("select max(cost_date) as day from marts.customer_costs_daily")
    if not rows or rows[0]["day"] is None:
        raise UserError("the warehouse's ledger (customer_costs_daily) is empty: nothing to watch")
    return rows[0]["day"]


def _held_back(query: Query) -> list[Item]:
    """The held-back days as one ticket (none for a warehouse built before incremental builds)."""
    if not query(HELD_BACK_FOUND_SQL)[0]["found"]:
        return []
    row = query(HELD_BACK_SQL)[0]
    if not row["days"]:
        return []
    first, last = row["first_day"], row["last_day"]
    span = f"{first}" if first == last else f"{first} to {last}"
    return [Item("ticket", "held back", f"{first}",
                 f"telemetry changed on {row['days']} day(s) ({span}) more than the lookback window before "
                 f"the input's latest day; they keep their earlier allocation until a build with "
                 f"--reprocess-from {first}")]


def digest(query: Query, day: date | None, unattributed_goal: float) -> Digest:
    """The digest of ``day`` (default: the ledger's last day) from the warehouse's marts."""
    day = day or _last_day(query)
    params = {"day": day}
    items: list[Item] = []
    for row in query(ANOMALIES_SQL, params):
        if row["pages_today"] and not row["paged_before"]:
            level = "page"
        elif row["first_date"] == day:
            level = "ticket"
        else:
            level = "ongoing"
        cost = ""
        if row["observed_cost"] is not None:
            cost = f"; cost {_money(row['observed_cost'])} against {_money(row['expected_cost'])} expected"
        items.append(Item(level, "anomaly", row["customer_id"],
                          f"episode {row['anomaly_id']} since {row['first_date']} ({row['scopes']}){cost}"))
    for row in query(BUDGETS_SQL, params):
        burn = "no budget left" if row["burn_rate"] is None else f"burn rate {float(row['burn_rate']):.2f}"
        items.append(Item(
            "ongoing" if row["alerted_yesterday"] else "ticket", "budget", row["customer_id"],
            f"{row['alert_reason']}: {_money(row['month_to_date_cost'])} spent of {_money(row['budget_amount'])}, "
            f"{burn}, forecast {_money(row['forecast_month_end_cost'])}",
        ))
    for row in query(ESTIMATED_SQL, params):
        account = f" {row['billing_account_id']}" if row["billing_account_id"] else ""
        items.append(Item("info", "estimated", f"{row['billing_format']}{account}",
                          f"billing period from {row['billing_period_start_date']} is still estimated"))
    for row in query(RESTATEMENTS_SQL, params):
        items.append(Item("info", "restatement", row["customer_id"],
                          f"{row['month']:%Y-%m} {row['reason']}: {_money(row['cost_before'])} -> "
                          f"{_money(row['cost_after'])} ({_money(row['cost_delta'])}), recorded {row['recorded_at']:%Y-%m-%d %H:%M}"))
    for row in query(DRIFTS_SQL, params):
        items.append(Item("ongoing" if row["drifted_yesterday"] else "ticket", "reconciliation",
                          _drift_subject(row), _drift_detail(row)))
    items += _held_back(query)
    share = query(UNATTRIBUTED_SQL, params)
    if share and share[0]["share"] is not None:
        value = float(share[0]["share"])
        items.append(Item(
            "ticket" if value > unattributed_goal else "info", "unattributed", f"{day:%Y-%m}",
            f"{value:.1%} of the bill unattributed (goal {unattributed_goal:.1%}; top reason "
            f"{share[0]['top_reason']})",
        ))
    order = {level: position for position, level in enumerate(LEVELS)}
    items.sort(key=lambda item: order[item.level])
    return Digest(day, tuple(items))


def render(result: Digest, fmt: str, warehouse: Path) -> str:
    """The digest as text (one line per item), JSON or markdown."""
    counts = result.counts()
    summary = ", ".join(f"{counts[level]} {level}" for level in LEVELS)
    if fmt == "json":
        return json.dumps({"date": result.day.isoformat(), "warehouse": str(warehouse),
                           "needs_page": result.needs_page, "counts": counts,
                           "items": [asdict(item) for item in result.items]}, indent=2)
    if fmt == "markdown":
        lines = [f"### Cost watch for {result.day}", "", summary, ""]
        if result.items:
            lines += ["| level | kind | subject | detail |", "|---|---|---|---|"]
            lines += [f"| {i.level} | {i.kind} | {i.subject} | {i.detail.replace('|', '/')} |" for i in result.items]
        return "\n".join(lines)
    if fmt != "text":
        raise UserError(f"--format: '{fmt}' is not one of {', '.join(FORMATS)}")
    lines = [f"cost watch {result.day} ({warehouse.name}): {summary}"]
    lines += [f"{i.level:<8} {i.kind:<14} {i.subject}: {i.detail}" for i in result.items]
    return "\n".join(lines)
