{#- One row per customer x scope x day: the day's expected cost and band from the trailing days
    before it (weekday medians and the median absolute deviation), its score and whether it has
    the history to be judged; see _anomalies__models.yml and docs/anomalies.md. -#}
{%- set trailing_days = var('cpc_anomaly_trailing_days') | int -%}
{%- set min_history_days = var('cpc_anomaly_min_history_days') | int -%}
{%- if trailing_days < 7 or min_history_days < 7 or min_history_days > trailing_days -%}
    {{ exceptions.raise_compiler_error(
        "int_customer_cost_baselines: cpc_anomaly_trailing_days (" ~ trailing_days ~ ") and "
        ~ "cpc_anomaly_min_history_days (" ~ min_history_days ~ ") must be at least 7, the "
        ~ "history at most the trailing window") }}
{%- endif %}
with

series as (

    select * from {{ ref('int_customer_cost_series') }}

),

{# Each day with each of the trailing days before it (the same series, at most trailing_days). -#}
history as (

    select
        judged_day.customer_id,
        judged_day.currency,
        judged_day.scope,
        judged_day.cost_date,
        (judged_day.day_number - past.day_number) % 7 = 0 as is_same_weekday,
        past.observed_cost as past_cost,
        past.week_over_week_change as past_change

    from series as judged_day
    inner join series as past
        on judged_day.customer_id = past.customer_id
        and judged_day.currency = past.currency
        and judged_day.scope = past.scope
        and judged_day.day_number - {{ trailing_days }} <= past.day_number
        and judged_day.day_number > past.day_number

),

{# The expected cost: the median of the trailing days on the day's own weekday. -#}
expected as (

    select
        history.customer_id,
        history.currency,
        history.scope,
        history.cost_date,
        {{ cost_per_customer.percentile_cont('history.past_cost', 0.5) }} as expected_cost

    from history
    where history.is_same_weekday
    group by 1, 2, 3, 4

),

{# The spread comes from the week-over-week changes of the trailing days: a change between two
    days of the same weekday cancels the weekly cycle, and taking deviations from the changes'
    median cancels a steady trend, so neither widens the band. -#}
centres as (

    select
        history.customer_id,
        history.currency,
        history.scope,
        history.cost_date,
        count(*) as history_days,
        {{ cost_per_customer.percentile_cont('history.past_change', 0.5) }} as median_change

    from history
    group by 1, 2, 3, 4

),

spreads as (

    select
        centres.customer_id,
        centres.currency,
        centres.scope,
        centres.cost_date,
        centres.history_days,
        {{ cost_per_customer.percentile_cont(
            'abs(cast(history.past_change as double) - centres.median_change)', 0.5) }} as median_absolute_deviation

    from centres
    left join history
        on centres.customer_id = history.customer_id
        and centres.currency = history.currency
        and centres.scope = history.scope
        and centres.cost_date = history.cost_date
        and history.past_change is not null
    group by 1, 2, 3, 4, 5

),

judged as (

    select
        series.cost_date,
        series.customer_id,
        series.scope,
        series.currency,
        case
            when series.customer_start_date > series.ledger_first_date
                and {{ cost_per_customer.days_between('series.customer_start_date', 'series.cost_date') }}
                < {{ min_history_days }}
                then 'new_customer'
            when coalesce(spreads.history_days, 0) < {{ min_history_days }} then 'insufficient_history'
            else 'judged'
        end as baseline_status,
        series.observed_cost,
        series.previous_day_cost,
        expected.expected_cost,
        {# A change is the difference of two days, so one day's robust standard deviation is
            1.4826 x MAD / sqrt(2); never below a share of the expected cost. -#}
        greatest(
            1.4826 * spreads.median_absolute_deviation / sqrt(2),
            {{ var('cpc_anomaly_min_relative_spread') }} * abs(expected.expected_cost)
        ) as spread,
        coalesce(spreads.history_days, 0) as history_days

    from series
    left join spreads
        on series.customer_id = spreads.customer_id
        and series.currency = spreads.currency
        and series.scope = spreads.scope
        and series.cost_date = spreads.cost_date
    left join expected
        on series.customer_id = expected.customer_id
        and series.currency = expected.currency
        and series.scope = expected.scope
        and series.cost_date = expected.cost_date

),

scored as (

    select
        judged.cost_date,
        judged.customer_id,
        judged.scope,
        judged.currency,
        judged.baseline_status,
        judged.observed_cost,
        judged.previous_day_cost,
        cast(judged.expected_cost as {{ cost_per_customer.money_type() }}) as expected_cost,
        cast(
            judged.expected_cost - {{ var('cpc_anomaly_score_threshold') }} * judged.spread as {{ cost_per_customer.money_type() }}
        ) as lower_band,
        cast(
            judged.expected_cost + {{ var('cpc_anomaly_score_threshold') }} * judged.spread as {{ cost_per_customer.money_type() }}
        ) as upper_band,
        judged.spread,
        case
            when judged.baseline_status = 'judged' and judged.spread > 0
                then (cast(judged.observed_cost as double) - judged.expected_cost) / judged.spread
        end as score,
        judged.history_days

    from judged

),

{# A sustained rise: the days among the last seven (this one included) judged with a score of at
    least cpc_anomaly_drift_score. At least cpc_anomaly_drift_days of seven is a median score that
    high, which ordinary noise does not keep up for a week. -#}
final as (

    select
        scored.*,
        sum(
            case when scored.score >= {{ var('cpc_anomaly_drift_score') }} then 1 else 0 end
        ) over (
            partition by scored.customer_id, scored.currency, scored.scope
            order by scored.cost_date
            rows between 6 preceding and current row
        ) as sustained_days

    from scored

)

select * from final
