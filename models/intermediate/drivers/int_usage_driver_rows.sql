{#- Each good telemetry row once per driver level it carries: at the service level, and also at the
    region and resource level when it carries a region_id / resource_id, so a charge can be matched
    at the most specific level its usage supports. customer_id is NULL where telemetry names no
    customer or one not in customers.csv (usage_customer_id keeps what it said). Rows of the metrics
    of usage rules with across_services come again as service_name '*', so such a rule can split a
    charge by the metric's usage of every service (e.g. egress_gb for data transfer). quantity is
    the scaled quantity (sampled rows scaled up by 1 / sample_rate); raw_quantity is as delivered.
    A view: int_usage_drivers_daily sums it per customer, int_usage_driver_features_daily per
    customer and feature. -#}
{{ config(materialized='view') }}
{%- set across_metrics = cost_per_customer.allocation_rules() | selectattr('across_services') | map(attribute='metric') | unique | list -%}
with

usage_rows as (

    select * from {{ ref('stg_telemetry__usage') }}
    where quarantine_reason is null and service_name is not null

),

customers as (

    select * from {{ ref('stg_business__customers') }}
    where quarantine_reason is null

),

identified as (

    select
        usage_rows.usage_date as cost_date,
        usage_rows.service_name,
        usage_rows.metric,
        usage_rows.region_id,
        usage_rows.resource_id,
        usage_rows.customer_id as usage_customer_id,
        customers.customer_id,
        usage_rows.feature,
        usage_rows.scaled_quantity as quantity,
        usage_rows.quantity as raw_quantity,
        usage_rows.sampling_variance

    from usage_rows
    left join customers
        on lower(usage_rows.customer_id) = lower(customers.customer_id)

),

driver_levels as (

    select 'service' as driver_level
    union all
    select 'region' as driver_level
    union all
    select 'resource' as driver_level

),

{# One pass over the telemetry: each row once per level it carries. -#}
by_level as (

    select
        identified.cost_date,
        identified.service_name,
        identified.metric,
        driver_levels.driver_level,
        case driver_levels.driver_level
            when 'service' then '*'
            when 'region' then identified.region_id
            else identified.resource_id
        end as driver_value,
        identified.usage_customer_id,
        identified.customer_id,
        identified.feature,
        identified.quantity,
        identified.raw_quantity,
        identified.sampling_variance

    from identified
    cross join driver_levels
    where driver_levels.driver_level = 'service'
        or (driver_levels.driver_level = 'region' and identified.region_id is not null)
        or (driver_levels.driver_level = 'resource' and identified.resource_id is not null)

),

{# Each row again as service '*' when an across_services rule uses its metric. -#}
service_scoped as (

    select * from by_level
    {%- if across_metrics %}

    union all

    select
        by_level.cost_date,
        '*' as service_name,
        by_level.metric,
        by_level.driver_level,
        by_level.driver_value,
        by_level.usage_customer_id,
        by_level.customer_id,
        by_level.feature,
        by_level.quantity,
        by_level.raw_quantity,
        by_level.sampling_variance

    from by_level
    where by_level.metric in (
        {%- for metric in across_metrics %}{{ cost_per_customer.text_literal(metric) }}{{ ", " if not loop.last }}{% endfor -%}
    )
    {%- endif %}

)

select * from service_scoped
