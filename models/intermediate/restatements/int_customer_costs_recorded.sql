{#- One row per customer-month version: what customer_costs_monthly held when a build first saw it
    or saw it change; see _restatements__models.yml and docs/restatements.md. Appends on every build
    and keeps its history through --full-refresh (full_refresh=false). -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    full_refresh=false,
    on_schema_change='fail',
) }}
with

customer_months as (

    select * from {{ ref('customer_costs_monthly') }}

),

billing_months as (

    select * from {{ ref('billing_months') }}

),

current_versions as (

    select
        customer_months.month,
        customer_months.customer_id,
        customer_months.currency,
        customer_months.total_cost,
        customer_months.is_estimated

    from customer_months

),

{% if is_incremental() %}
recorded as (

    select * from {{ this }}

),

ranked_versions as (

    select
        recorded.month,
        recorded.customer_id,
        recorded.currency,
        recorded.total_cost,
        recorded.is_estimated,
        row_number() over (
            partition by recorded.month, recorded.customer_id, recorded.currency
            order by recorded.recorded_at desc
        ) as version_rank

    from recorded

),

latest_versions as (

    select
        ranked_versions.month,
        ranked_versions.customer_id,
        ranked_versions.currency,
        ranked_versions.total_cost,
        ranked_versions.is_estimated

    from ranked_versions
    where ranked_versions.version_rank = 1

),
{% else %}
latest_versions as (

    select current_versions.* from current_versions
    where 1 = 0

),
{% endif %}

{# A customer-month that has gone from the mart (its cost restated away) is recorded at 0. -#}
compared as (

    select
        coalesce(current_versions.month, latest_versions.month) as month,
        coalesce(current_versions.customer_id, latest_versions.customer_id) as customer_id,
        coalesce(current_versions.currency, latest_versions.currency) as currency,
        coalesce(current_versions.total_cost, 0) as total_cost,
        current_versions.is_estimated,
        latest_versions.total_cost as latest_total_cost,
        latest_versions.is_estimated as latest_is_estimated

    from current_versions
    full outer join latest_versions
        on current_versions.month = latest_versions.month
        and current_versions.customer_id = latest_versions.customer_id
        and current_versions.currency = latest_versions.currency

),

with_status as (

    select
        compared.month,
        compared.customer_id,
        compared.currency,
        compared.total_cost,
        coalesce(compared.is_estimated, billing_months.is_estimated, false) as is_estimated,
        compared.latest_total_cost,
        compared.latest_is_estimated

    from compared
    left join billing_months
        on compared.month = billing_months.month

),

changed as (

    select
        with_status.month,
        with_status.customer_id,
        with_status.currency,
        '{{ invocation_id }}' as build_id,
        cast(with_status.total_cost as {{ cost_per_customer.money_type() }}) as total_cost,
        with_status.is_estimated,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp) as recorded_at

    from with_status
    where with_status.latest_total_cost is null
        or with_status.total_cost <> with_status.latest_total_cost
        or with_status.is_estimated <> with_status.latest_is_estimated

)

select * from changed
