{#- One row per customer x currency x scope whose series changed since its baselines were last
    computed: the first day that changed and the first day the baselines must read again; see
    _anomalies__models.yml. It reads int_customer_cost_baselines as the last build left it (no ref:
    the baselines read this model). -#}
{%- set stored = none -%}
{%- if execute and not flags.FULL_REFRESH and cost_per_customer.kept_by_delete_materialization() == 'incremental' -%}
    {%- set stored = adapter.get_relation(database=this.database, schema=this.schema, identifier='int_customer_cost_baselines') -%}
    {%- if stored is not none and 'settings_fingerprint' not in adapter.get_columns_in_relation(stored) | map(attribute='name') | list -%}
        {#- Built by an earlier version of the project: every day counts as changed (the baselines
            model then asks for a full refresh). -#}
        {%- set stored = none -%}
    {%- endif -%}
{%- endif -%}
{%- set trailing_days = var('cpc_anomaly_trailing_days') | int -%}
with

series as (

    select * from {{ ref('int_customer_cost_series') }}

),

{% if stored is none -%}
{# Nothing stored: every day of every series is new. -#}
changed_days as (

    select
        series.customer_id,
        series.currency,
        series.scope,
        series.cost_date

    from series

),
{%- else -%}
stored as (

    select * from {{ stored }}

),

{# A day changed when its row is new or gone, or when what its baseline was judged from differs:
    the day's cost, the day before's, the customer's start, the ledger's first day, or the
    settings and project version (anomaly_settings_fingerprint). -#}
changed_days as (

    select
        coalesce(series.customer_id, stored.customer_id) as customer_id,
        coalesce(series.currency, stored.currency) as currency,
        coalesce(series.scope, stored.scope) as scope,
        coalesce(series.cost_date, stored.cost_date) as cost_date

    from series
    full outer join stored
        on series.customer_id = stored.customer_id
        and series.currency = stored.currency
        and series.scope = stored.scope
        and series.cost_date = stored.cost_date
    where
        series.cost_date is null
        or stored.cost_date is null
        or series.observed_cost <> stored.observed_cost
        or series.previous_day_cost is distinct from stored.previous_day_cost
        or series.customer_start_date <> stored.customer_start_date
        or series.ledger_first_date <> stored.ledger_first_date
        or stored.settings_fingerprint <> '{{ cost_per_customer.anomaly_settings_fingerprint() }}'

),
{%- endif %}

first_changes as (

    select
        changed_days.customer_id,
        changed_days.currency,
        changed_days.scope,
        min(changed_days.cost_date) as first_changed_date

    from changed_days
    group by 1, 2, 3

),

ledger_days as (

    select distinct series.cost_date
    from series

),

change_dates as (

    select distinct first_changes.first_changed_date
    from first_changes

),

{# A day's sustained_days counts the six rows before it, and a series has a row on every ledger
    day from its start: the first changed day needs the scores of the six ledger days before it,
    and each of those its trailing window. -#}
days_back as (

    select
        change_dates.first_changed_date,
        ledger_days.cost_date,
        row_number() over (
            partition by change_dates.first_changed_date order by ledger_days.cost_date desc
        ) as days_back

    from change_dates
    inner join ledger_days
        on change_dates.first_changed_date > ledger_days.cost_date

),

anchors as (

    select
        change_dates.first_changed_date,
        coalesce(min(days_back.cost_date), change_dates.first_changed_date) as anchor_date

    from change_dates
    left join days_back
        on change_dates.first_changed_date = days_back.first_changed_date
        and days_back.days_back <= 6
    group by change_dates.first_changed_date

),

final as (

    select
        first_changes.customer_id,
        first_changes.currency,
        first_changes.scope,
        first_changes.first_changed_date,
        {{ cost_per_customer.day_number('anchors.anchor_date') }} - {{ trailing_days }} as read_from_day_number

    from first_changes
    inner join anchors
        on first_changes.first_changed_date = anchors.first_changed_date

)

select * from final
