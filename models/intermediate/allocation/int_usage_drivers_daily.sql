{#- One row per day x service x metric x driver level x customer: the telemetry quantity that drives
    usage-based allocation. Each telemetry row counts at the service level, and also at the region
    and resource level when it carries a region_id / resource_id, so a charge can be matched at the
    most specific level its usage supports. customer_id is NULL where telemetry names no customer
    or one not in customers.csv (usage_customer_id keeps what it said). -#}
with

usage_rows as (

    select * from {{ ref('stg_telemetry__usage') }}
    where quarantine_reason is null and service_name is not null

),

customers as (

    select * from {{ ref('stg_telemetry__customers') }}
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
        usage_rows.quantity

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

{#- One pass over the telemetry: each row once per level it carries. -#}
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
        identified.quantity

    from identified
    cross join driver_levels
    where driver_levels.driver_level = 'service'
        or (driver_levels.driver_level = 'region' and identified.region_id is not null)
        or (driver_levels.driver_level = 'resource' and identified.resource_id is not null)

),

summed as (

    select
        by_level.cost_date,
        by_level.service_name,
        by_level.metric,
        by_level.driver_level,
        by_level.driver_value,
        by_level.customer_id,
        case when by_level.customer_id is null then max(by_level.usage_customer_id) end as usage_customer_id,
        sum(by_level.quantity) as quantity

    from by_level
    group by 1, 2, 3, 4, 5, 6
    having sum(by_level.quantity) > 0

)

select * from summed
