{#- One row per flagged customer x day x scope, its days grouped into episodes (anomaly_id); see
    _costs__models.yml and docs/anomalies.md. -#}
{%- set threshold = var('cpc_anomaly_score_threshold') -%}
{%- set page_score = var('cpc_anomaly_page_score') -%}
{%- set max_gap_days = var('cpc_anomaly_max_gap_days') | int -%}
{%- if page_score < threshold or max_gap_days < 0 -%}
    {{ exceptions.raise_compiler_error(
        "customer_cost_anomalies: cpc_anomaly_page_score (" ~ page_score ~ ") must be at least "
        ~ "cpc_anomaly_score_threshold (" ~ threshold ~ ") and cpc_anomaly_max_gap_days ("
        ~ max_gap_days ~ ") at least 0") }}
{%- endif %}
with

baselines as (

    select * from {{ ref('int_customer_cost_baselines') }}

),

{# A judged day above its band (a spike), or in a sustained rise (at least drift_days of the last
    seven scored drift_score or more), by at least the smallest excess worth an alert. It pages
    when it is far above (page_score) and still rising sharply: up on the day before by at least
    the band's half-width too. -#}
flagged as (

    select
        baselines.*,
        case
            when baselines.score >= {{ page_score }}
                and baselines.observed_cost - baselines.previous_day_cost >= {{ threshold }} * baselines.spread
                then 'page'
            else 'ticket'
        end as severity,
        baselines.sustained_days >= {{ var('cpc_anomaly_drift_days') }} as is_sustained

    from baselines
    where baselines.baseline_status = 'judged'
        and (
            baselines.score >= {{ threshold }}
            or baselines.sustained_days >= {{ var('cpc_anomaly_drift_days') }}
        )
        and baselines.observed_cost - baselines.expected_cost >= {{ var('cpc_anomaly_min_excess_cost') }}

),

flagged_days as (

    select distinct
        flagged.customer_id,
        flagged.currency,
        flagged.cost_date

    from flagged

),

{# Days of a customer flagged with at most max_gap_days quiet days between them are one episode. -#}
episode_starts as (

    select
        flagged_days.*,
        case
            when lag(flagged_days.cost_date) over (
                partition by flagged_days.customer_id, flagged_days.currency order by flagged_days.cost_date
            ) is null then 1
            when {{ cost_per_customer.days_between(
                'lag(flagged_days.cost_date) over (partition by flagged_days.customer_id, flagged_days.currency order by flagged_days.cost_date)',
                'flagged_days.cost_date') }} > {{ max_gap_days + 1 }} then 1
            else 0
        end as is_episode_start

    from flagged_days

),

episodes as (

    select
        episode_starts.customer_id,
        episode_starts.currency,
        episode_starts.cost_date,
        sum(episode_starts.is_episode_start) over (
            partition by episode_starts.customer_id, episode_starts.currency
            order by episode_starts.cost_date
            rows between unbounded preceding and current row
        ) as episode_number

    from episode_starts

),

episode_days as (

    select
        episodes.customer_id,
        episodes.currency,
        episodes.cost_date,
        min(episodes.cost_date) over (
            partition by episodes.customer_id, episodes.currency, episodes.episode_number
        ) as anomaly_first_date,
        max(episodes.cost_date) over (
            partition by episodes.customer_id, episodes.currency, episodes.episode_number
        ) as anomaly_last_date

    from episodes

),

described as (

    select
        concat(flagged.customer_id, '/', cast(episode_days.anomaly_first_date as {{ dbt.type_string() }})) as anomaly_id,
        flagged.customer_id,
        flagged.scope,
        flagged.currency,
        flagged.severity,
        flagged.observed_cost,
        flagged.expected_cost,
        flagged.lower_band,
        flagged.upper_band,
        cast(flagged.observed_cost - flagged.expected_cost as {{ cost_per_customer.money_type() }}) as excess_cost,
        flagged.previous_day_cost,
        flagged.spread,
        flagged.score,
        flagged.is_sustained,
        cast(flagged.history_days as bigint) as history_days,
        cast(flagged.sustained_days as bigint) as sustained_days,
        cast({{ cost_per_customer.days_between('episode_days.anomaly_first_date', 'flagged.cost_date') }} + 1 as bigint) as anomaly_day,
        flagged.cost_date,
        episode_days.anomaly_first_date,
        episode_days.anomaly_last_date

    from flagged
    inner join episode_days
        on flagged.customer_id = episode_days.customer_id
        and flagged.currency = episode_days.currency
        and flagged.cost_date = episode_days.cost_date

),

final as (

    select
        described.anomaly_id,
        described.customer_id,
        described.scope,
        described.currency,
        described.severity,
        {# An episode pages when any of its rows does; it alerts once, under its anomaly_id. -#}
        case
            when max(case when described.severity = 'page' then 1 else 0 end) over (partition by described.anomaly_id) = 1
                then 'page'
            else 'ticket'
        end as anomaly_severity,
        described.observed_cost,
        described.expected_cost,
        described.lower_band,
        described.upper_band,
        described.excess_cost,
        described.previous_day_cost,
        described.spread,
        described.score,
        described.history_days,
        described.sustained_days,
        described.anomaly_day,
        described.is_sustained,
        described.cost_date,
        described.anomaly_first_date,
        described.anomaly_last_date

    from described

)

select * from final
