{#- One row per customer x scope x day from the scope's start (int_customer_cost_series_scopes) to
    the ledger's last day, zero-filled: the series the anomaly baselines read; see
    _anomalies__models.yml. Incremental where the baselines are (DuckDB): the days from the first
    day to process are computed again, and the whole series of a scope whose start or settings
    changed (pre-hook delete_changed_series); the days before are kept. -#}
{{ config(
    materialized=cost_per_customer.kept_by_delete_materialization(),
    pre_hook="{{ cost_per_customer.delete_changed_series() }}",
    on_schema_change='fail',
) }}
{%- set window = cost_per_customer.series_recompute_window() %}
-- depends_on: {{ ref('int_days_to_process') }}
with

scopes as (

    select * from {{ ref('int_customer_cost_series_scopes') }}

),

ledger_days as (

    select distinct ledger.cost_date
    from {{ ref('customer_costs_daily') }} as ledger

),
{%- if window %}

{# The scopes without a kept row (new, or deleted by the pre-hook) whose series starts before the
    first day to process: computed from their start. -#}
stored_scopes as (

    select distinct
        stored.customer_id,
        stored.currency,
        stored.scope

    from {{ this }} as stored

),

recomputed as (

    select
        scopes.customer_id,
        scopes.currency,
        scopes.scope

    from scopes
    left join stored_scopes
        on scopes.customer_id = stored_scopes.customer_id
        and scopes.currency = stored_scopes.currency
        and scopes.scope = stored_scopes.scope
    where stored_scopes.scope is null
        and scopes.series_start_date < cast('{{ window.first_date }}' as date)

),

recomputed_customers as (

    select distinct
        recomputed.customer_id,
        recomputed.currency

    from recomputed

),
{%- endif %}

{# On an incremental build, the ledger from the seventh ledger day before the first day to
    process (the day before and the week before read back that far), and every day of the
    customers of a recomputed scope. -#}
ledger as (

    {{ cost_per_customer.ledger_read_back(window.read_from if window else none, 'recomputed_customers') }}

),

watched as (

    select * from ledger
    where {{ cost_per_customer.is_watched_charge('ledger.charge_category') }}

),

{# The customer's total, and each cost category as a scope of its own. -#}
scoped as (

    select
        watched.cost_date,
        watched.customer_id,
        watched.currency,
        'total' as scope,
        watched.allocated_cost

    from watched

    union all

    select
        watched.cost_date,
        watched.customer_id,
        watched.currency,
        watched.cost_category as scope,
        watched.allocated_cost

    from watched

),

daily as (

    select
        scoped.cost_date,
        scoped.customer_id,
        scoped.currency,
        scoped.scope,
        sum(scoped.allocated_cost) as observed_cost

    from scoped
    group by 1, 2, 3, 4

),

{# Every day of the ledger from the scope's start on; a day without cost is 0. -#}
spine as (

    select
        ledger_days.cost_date,
        scopes.customer_id,
        scopes.currency,
        scopes.scope,
        scopes.scope_first_date,
        scopes.customer_start_date,
        scopes.ledger_first_date,
        scopes.settings_fingerprint
        {%- if window %},
        recomputed.scope is not null as is_recomputed
        {%- endif %}

    from scopes
    inner join ledger_days
        on scopes.series_start_date <= ledger_days.cost_date
    {%- if window %}
    left join recomputed
        on scopes.customer_id = recomputed.customer_id
        and scopes.currency = recomputed.currency
        and scopes.scope = recomputed.scope
    where ledger_days.cost_date >= cast('{{ window.read_from }}' as date)
        or recomputed.scope is not null
    {%- endif %}

),

series as (

    select
        spine.*,
        {{ cost_per_customer.day_number('spine.cost_date') }} as day_number,
        cast(coalesce(daily.observed_cost, 0) as {{ cost_per_customer.money_type() }}) as observed_cost

    from spine
    left join daily
        on spine.cost_date = daily.cost_date
        and spine.customer_id = daily.customer_id
        and spine.currency = daily.currency
        and spine.scope = daily.scope

),

{# The day before and the same weekday a week before (NULL when the series has no such day). -#}
with_previous as (

    select
        series.*,
        lag(series.observed_cost) over (
            partition by series.customer_id, series.currency, series.scope order by series.cost_date
        ) as previous_day_cost,
        lag(series.day_number, 7) over (
            partition by series.customer_id, series.currency, series.scope order by series.cost_date
        ) as week_before_day_number,
        lag(series.observed_cost, 7) over (
            partition by series.customer_id, series.currency, series.scope order by series.cost_date
        ) as week_before_cost

    from series

),

final as (

    select
        with_previous.cost_date,
        with_previous.customer_id,
        with_previous.scope,
        with_previous.currency,
        with_previous.day_number,
        with_previous.observed_cost,
        with_previous.previous_day_cost,
        case
            when with_previous.week_before_day_number = with_previous.day_number - 7
                then with_previous.observed_cost - with_previous.week_before_cost
        end as week_over_week_change,
        with_previous.scope_first_date,
        with_previous.customer_start_date,
        with_previous.ledger_first_date,
        with_previous.settings_fingerprint

    from with_previous
    {%- if window %}
    where with_previous.cost_date >= cast('{{ window.first_date }}' as date)
        or with_previous.is_recomputed
    {%- endif %}

)

select * from final
