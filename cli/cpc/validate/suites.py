"""The expectation suites of `cpc validate`: what each frame is (a read-only DuckDB query of the
built warehouse) and what is expected of it.

Each frame is one GX data asset and one expectation suite (named ``<layer>.<frame>``); each
check is one GX expectation, ``critical`` (the validation fails, exit code 2) or a warning
(printed, exit code 0). Sums and baselines are computed in SQL; GX judges the rows and names
the failing ones by the frame's ``key`` columns. docs/validation.md describes every check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cpc.validate.settings import POLICY_REASONS

Settings = dict[str, float]

_BILLING_MODELS = ("stg_focus__charges", "stg_aws__cost_and_usage", "stg_azure__cost_details",
                   "stg_gcp__billing_export", "stg_oci__cost_reports")


def _billing_rows(columns: str) -> str:
    """The rows of every billing format's staging model (they share the FOCUS-shaped columns)."""
    return "\nunion all\n".join(f"select {columns} from staging.{model}"
                                for model in _BILLING_MODELS)


@dataclass(frozen=True)
class Frame:
    """One frame read from the warehouse and validated as a whole."""

    name: str
    layer: str  # staging (the landed inputs) or marts
    table: str  # what a failure line names as the table
    description: str
    sql: Callable[[Settings], str]
    key: tuple[str, ...]  # columns that name a failing row

    @property
    def suite_name(self) -> str:
        return f"{self.layer}.{self.name}"


@dataclass(frozen=True)
class Check:
    """One expectation on one frame."""

    frame: str
    expectation: str  # the GX expectation type
    critical: bool
    says: str  # what is expected, in words (failure lines and docs)
    kwargs: Callable[[Settings, dict[str, Any]], dict[str, Any]] = field(
        default=lambda settings, lookups: {})


def _trailing_band(totals_sql: str, partition: str, day: str, settings: Settings,
                   last_day_sql: str | None = None) -> str:
    """Each day's total beside the median of the previous ``trailing_days`` days of its
    ``partition`` (days without rows count as 0, from the partition's first day to the last day
    of ``last_day_sql``, by default the last day of the totals) and their ratio; days with fewer
    than ``min_trailing_days`` of baseline are left out."""
    days = int(settings["trailing_days"])
    least = int(settings["min_trailing_days"])
    return f"""
with totals as ({totals_sql}),
spans as (
    select {partition}, min({day}) as first_day
    from totals group by {partition}
),
last_day as ({last_day_sql or f"select max({day}) as last_day from totals"}),
calendar as (
    select spans.{partition}, cast(day_series.day as date) as {day}
    from spans cross join last_day,
        unnest(generate_series(spans.first_day, last_day.last_day, interval 1 day))
        as day_series(day)
),
filled as (
    select calendar.{partition}, calendar.{day}, coalesce(totals.total, 0) as total
    from calendar left join totals
        on calendar.{partition} = totals.{partition} and calendar.{day} = totals.{day}
),
banded as (
    select filled.*,
        median(filled.total) over baseline_window as trailing_median,
        count(*) over baseline_window as baseline_days
    from filled
    window baseline_window as (partition by filled.{partition} order by filled.{day}
                        rows between {days} preceding and 1 preceding)
)
select {partition}, {day}, round(total, 4) as total, round(trailing_median, 4) as trailing_median,
    round(total / nullif(trailing_median, 0), 3) as ratio_to_trailing_median
from banded
where baseline_days >= {least}
order by {partition}, {day}
"""


FRAMES: tuple[Frame, ...] = (
    Frame(
        "billing_rows", "staging", "staging.stg_<format> (all billing formats)",
        "Every billing row staging marks valid (quarantine_reason NULL), of every format.",
        lambda s: f"""
select * from ({_billing_rows(
    "billing_format, charge_id, billing_account_id, billing_currency, charge_period_start_at, "
    "charge_period_end_at, cast(billing_period_start_at as timestamp) as billing_period_start_at, "
    "cast(billing_period_end_at as timestamp) as billing_period_end_at, "
    "cast(effective_cost as double) as effective_cost, quarantine_reason")})
where quarantine_reason is null""",
        ("billing_format", "charge_id"),
    ),
    Frame(
        "billing_money", "staging", "staging.stg_<format> (all billing formats)",
        "One row per cost value written in a billing row (EffectiveCost, BilledCost, ListCost; "
        "quarantined rows too), with the value as written and as read.",
        lambda s: f"""
with rows as ({_billing_rows(
    "billing_format, charge_id, effective_cost_raw, effective_cost, billed_cost_raw, billed_cost, "
    "list_cost_raw, list_cost")})
select billing_format, charge_id, 'EffectiveCost' as cost_column,
    effective_cost_raw as written, cast(effective_cost as double) as read_value
from rows where effective_cost_raw is not null
union all
select billing_format, charge_id, 'BilledCost', billed_cost_raw, cast(billed_cost as double)
from rows where billed_cost_raw is not null
union all
select billing_format, charge_id, 'ListCost', list_cost_raw, cast(list_cost as double)
from rows where list_cost_raw is not null""",
        ("billing_format", "charge_id", "cost_column", "written"),
    ),
    Frame(
        "billing_daily_totals", "staging", "intermediate.int_charges_deduplicated",
        "Each billing account's EffectiveCost per day of ChargePeriodStart (rows that count: "
        "not quarantined, not superseded), beside the median of its previous days.",
        lambda s: _trailing_band(
            """select billing_account_id, cast(charge_period_start_at as date) as charge_date,
                   cast(sum(effective_cost) as double) as total
               from intermediate.int_charges_deduplicated
               where quarantine_reason is null and superseded_reason is null
                 and billing_format <> 'other_costs'
               group by 1, 2""",
            "billing_account_id", "charge_date", s),
        ("billing_account_id", "charge_date", "total", "trailing_median"),
    ),
    Frame(
        "usage_rows", "staging", "staging.stg_telemetry__usage",
        "Every telemetry record (quarantined ones too) with its customer id lower-cased.",
        lambda s: """
select source_file, source_row, customer_id, lower(trim(customer_id)) as customer_key, metric,
    usage_date, cast(quantity as double) as quantity, quarantine_reason
from staging.stg_telemetry__usage""",
        ("source_file", "source_row"),
    ),
    Frame(
        "usage_daily_totals", "staging", "staging.stg_telemetry__usage",
        "Each metric's quantity per day (valid records, sampled ones scaled up by 1 / sample_rate), "
        "from the metric's first day to the last day of usage or billing, beside the median of its "
        "previous days.",
        lambda s: _trailing_band(
            """select metric, usage_date, cast(sum(scaled_quantity) as double) as total
               from staging.stg_telemetry__usage
               where quarantine_reason is null
               group by 1, 2""",
            "metric", "usage_date", s,
            """select greatest(
                   (select max(usage_date) from totals),
                   (select max(cast(charge_period_start_at as date))
                    from intermediate.int_charges_deduplicated
                    where quarantine_reason is null and superseded_reason is null
                 and billing_format <> 'other_costs')) as last_day"""),
        ("metric", "usage_date", "total", "trailing_median"),
    ),
    Frame(
        "customers", "staging", "staging.stg_business__customers",
        "Every record of customers.csv (quarantined ones too), its id lower-cased.",
        lambda s: """
select source_file, source_row, customer_id, lower(trim(customer_id)) as customer_key,
    quarantine_reason
from staging.stg_business__customers""",
        ("source_file", "source_row", "customer_id"),
    ),
    Frame(
        "months_billed", "staging", "staging.stg_business__revenue, intermediate.int_fx_rates_daily",
        "Each month with billing, with its valid revenue records; and per billing currency other "
        "than the reporting currency, the days billed without a usable exchange rate.",
        lambda s: """
with billed as (
    select distinct cast(charge_period_start_at as date) as charge_date, billing_currency
    from intermediate.int_charges_deduplicated
    where quarantine_reason is null and superseded_reason is null
                 and billing_format <> 'other_costs'
),
reporting as (select distinct currency from marts.customer_costs_monthly),
months as (
    select date_trunc('month', charge_date) as month, billing_currency,
        count(*) filter (where billing_currency not in (select currency from reporting)
                         and not exists (select 1 from intermediate.int_fx_rates_daily as rates
                                         where rates.currency = billed.billing_currency
                                           and rates.cost_date = billed.charge_date))
            as days_without_fx_rate
    from billed group by 1, 2
),
revenue as (
    select revenue_month, count(*) as revenue_records
    from staging.stg_business__revenue where quarantine_reason is null group by 1
)
select cast(months.month as date) as month, months.billing_currency,
    months.days_without_fx_rate, coalesce(revenue.revenue_records, 0) as revenue_records
from months left join revenue on revenue.revenue_month = months.month
order by 1, 2""",
        ("month", "billing_currency"),
    ),
    Frame(
        "unattributed_share", "marts", "marts.unattributed_costs_monthly",
        "Per month, the share of the whole bill left unattributed for want of data (every reason "
        "but " + ", ".join(POLICY_REASONS) + ").",
        lambda s: f"""
select month, currency,
    cast(sum(unattributed_cost) filter (where reason not in ({
        ", ".join(f"'{reason}'" for reason in POLICY_REASONS)})) as double) as unplaced_cost,
    cast(max(month_total_cost) as double) as month_total_cost,
    round(cast(coalesce(sum(unattributed_cost) filter (where reason not in ({
        ", ".join(f"'{reason}'" for reason in POLICY_REASONS)})), 0)
        / nullif(max(month_total_cost), 0) as double), 4) as unattributed_share
from marts.unattributed_costs_monthly
where month is not null
group by 1, 2 order by 1, 2""",
        ("month", "currency"),
    ),
    Frame(
        "customer_month_changes", "marts", "marts.customer_costs_monthly",
        "Each customer's cost per day of cost, beside the calendar month before (customers with "
        "cost in both months).",
        lambda s: """
with months as (
    select month, customer_id, currency, total_cost / days_with_cost as cost_per_day,
        lag(month) over customer as previous_month,
        lag(total_cost / days_with_cost) over customer as previous_cost_per_day
    from marts.customer_costs_monthly
    window customer as (partition by customer_id, currency order by month)
)
select month, customer_id, currency, round(cast(cost_per_day as double), 4) as cost_per_day,
    round(cast(previous_cost_per_day as double), 4) as previous_cost_per_day,
    round(cast(cost_per_day / previous_cost_per_day as double), 3) as change_factor
from months
where previous_month = month - interval 1 month
    and cost_per_day > 0 and previous_cost_per_day > 0
order by 1, 2""",
        ("month", "customer_id", "cost_per_day", "previous_cost_per_day"),
    ),
    Frame(
        "statements_vs_ledger", "marts", "marts.customer_statements_monthly",
        "Each statement line beside the ledger it comes from (customer_costs_daily for a "
        "customer, unattributed_costs_daily for the month's unattributed line), and each "
        "month's statement total beside the ledger's month total rounded to cents.",
        lambda s: """
with ledger as (
    select date_trunc('month', cost_date) as month, currency, 'customer' as line_type,
        customer_id, sum(allocated_cost) as ledger_cost
    from marts.customer_costs_daily group by 1, 2, 3, 4
    union all
    select date_trunc('month', cost_date), currency, 'unattributed', null,
        sum(unattributed_cost)
    from marts.unattributed_costs_daily where cost_date is not null group by 1, 2, 3, 4
),
lines as (
    select coalesce(statements.month, cast(ledger.month as date)) as month,
        coalesce(statements.currency, ledger.currency) as currency,
        coalesce(statements.line_type, ledger.line_type) as line_type,
        coalesce(statements.customer_id, ledger.customer_id) as customer_id,
        statements.statement_cost, ledger.ledger_cost
    from marts.customer_statements_monthly as statements
    full outer join ledger
        on statements.month = ledger.month and statements.currency = ledger.currency
        and statements.line_type = ledger.line_type
        and statements.customer_id is not distinct from ledger.customer_id
),
month_totals as (
    select month, currency, 'month total' as line_type, null as customer_id,
        sum(statement_cost) as statement_cost, round(sum(ledger_cost), 2) as ledger_cost
    from lines group by 1, 2
)
select month, currency, line_type, customer_id,
    cast(statement_cost as double) as statement_cost,
    round(cast(ledger_cost as double), 4) as ledger_cost,
    cast(coalesce(statement_cost, 0) - coalesce(ledger_cost, 0) as double) as difference
from (select * from lines union all select * from month_totals)
order by 1, 2, 3, 4""",
        ("month", "line_type", "customer_id", "statement_cost", "ledger_cost"),
    ),
)


def _not_null(frame: str, column: str, critical: bool, says: str) -> Check:
    return Check(frame, "expect_column_values_to_not_be_null", critical, says,
                 lambda s, lookups: {"column": column})


CHECKS: tuple[Check, ...] = (
    # --- staging: the landed inputs --------------------------------------------------------
    _not_null("billing_rows", "charge_period_start_at", True,
              "a valid billing row has its ChargePeriodStart"),
    _not_null("billing_rows", "charge_period_end_at", True,
              "a valid billing row has its ChargePeriodEnd"),
    _not_null("billing_rows", "effective_cost", True,
              "a valid billing row has its EffectiveCost"),
    _not_null("billing_rows", "billing_currency", True,
              "a valid billing row has its currency"),
    _not_null("billing_rows", "billing_account_id", False,
              "a valid billing row names its billing account"),
    _not_null("billing_rows", "billing_period_start_at", False,
              "a valid billing row has its BillingPeriodStart"),
    Check("billing_rows", "expect_column_pair_values_a_to_be_greater_than_b", False,
          "the charge period starts inside the billing period (mostly)",
          lambda s, lookups: {"column_A": "charge_period_start_at",
                              "column_B": "billing_period_start_at", "or_equal": True,
                              "ignore_row_if": "either_value_is_missing",
                              "mostly": s["charges_inside_period_mostly"]}),
    Check("billing_rows", "expect_column_pair_values_a_to_be_greater_than_b", False,
          "the charge period ends inside the billing period (mostly)",
          lambda s, lookups: {"column_A": "billing_period_end_at",
                              "column_B": "charge_period_end_at", "or_equal": True,
                              "ignore_row_if": "either_value_is_missing",
                              "mostly": s["charges_inside_period_mostly"]}),
    Check("billing_money", "expect_column_values_to_not_be_null", False,
          "a written cost reads as a number (mostly; an unreadable one is quarantined)",
          lambda s, lookups: {"column": "read_value", "mostly": s["money_readable_mostly"]}),
    Check("billing_daily_totals", "expect_column_values_to_be_between", True,
          "a billing account's day total is at least billing_day_min_ratio of its baseline",
          lambda s, lookups: {"column": "ratio_to_trailing_median",
                              "min_value": s["billing_day_min_ratio"]}),
    Check("billing_daily_totals", "expect_column_values_to_be_between", False,
          "a billing account's day total is at most billing_day_max_ratio of its baseline",
          lambda s, lookups: {"column": "ratio_to_trailing_median",
                              "max_value": s["billing_day_max_ratio"]}),
    Check("usage_rows", "expect_column_values_to_be_between", False,
          "usage quantities are not negative (a negative one is quarantined)",
          lambda s, lookups: {"column": "quantity", "min_value": 0}),
    Check("usage_rows", "expect_column_values_to_be_in_set", True,
          "telemetry names customers of customers.csv (mostly)",
          lambda s, lookups: {"column": "customer_key", "value_set": lookups["customer_keys"],
                              "mostly": s["known_customers_mostly"]}),
    Check("usage_daily_totals", "expect_column_values_to_be_between", True,
          "a metric's day total is at least usage_day_min_ratio of its baseline",
          lambda s, lookups: {"column": "ratio_to_trailing_median",
                              "min_value": s["usage_day_min_ratio"]}),
    Check("usage_daily_totals", "expect_column_values_to_be_between", False,
          "a metric's day total is at most usage_day_max_ratio of its baseline",
          lambda s, lookups: {"column": "ratio_to_trailing_median",
                              "max_value": s["usage_day_max_ratio"]}),
    Check("customers", "expect_column_values_to_be_unique", False,
          "customers.csv lists each customer id once (ignoring case; a repeat is quarantined)",
          lambda s, lookups: {"column": "customer_key"}),
    Check("months_billed", "expect_column_values_to_be_between", True,
          "every day billed in another currency has an exchange rate",
          lambda s, lookups: {"column": "days_without_fx_rate", "max_value": 0}),
    Check("months_billed", "expect_column_values_to_be_between", False,
          "revenue.csv has revenue for every month billed",
          lambda s, lookups: {"column": "revenue_records", "min_value": 1}),
    # --- marts ------------------------------------------------------------------------------
    Check("unattributed_share", "expect_column_values_to_be_between", True,
          "the month's unattributed share (for want of data) is at most unattributed_goal",
          lambda s, lookups: {"column": "unattributed_share",
                              "max_value": s["unattributed_goal"]}),
    Check("customer_month_changes", "expect_column_values_to_be_between", False,
          "a customer's cost per day moves at most month_change_factor from the month before",
          lambda s, lookups: {"column": "change_factor",
                              "min_value": round(1 / s["month_change_factor"], 6)
                              if s["month_change_factor"] else None,
                              "max_value": s["month_change_factor"]}),
    Check("statements_vs_ledger", "expect_column_values_to_be_between", True,
          "statement lines and month totals tie to the ledger within statement_tolerance",
          lambda s, lookups: {"column": "difference",
                              "min_value": -s["statement_tolerance"],
                              "max_value": s["statement_tolerance"]}),
    _not_null("statements_vs_ledger", "statement_cost", True,
              "every ledger amount has its statement line"),
)
