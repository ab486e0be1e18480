{#- Shares of usage pools: each customer's part of the day's driver quantity. -#}
with

pools as (

    select * from {{ ref('int_cost_pools') }}
    where {{ cost_per_customer.in_days_to_process('cost_date') }}

),

drivers as (

    select * from {{ ref('int_usage_drivers_daily') }}

),

{# Telemetry without a known customer is unknown_customer. -#}
usage_shares as (

    select
        pools.pool_id,
        drivers.customer_id,
        case when drivers.customer_id is null then 'unknown_customer' end as unattributed_reason,
        cast(drivers.quantity as double)
            / cast(sum(drivers.quantity) over (partition by pools.pool_id) as double) as allocation_share,
        drivers.quantity as driver_quantity,
        sum(drivers.quantity) over (partition by pools.pool_id) as driver_total_quantity

    from pools
    inner join drivers
        on pools.cost_date = drivers.cost_date
        and pools.driver_service = drivers.service_name
        and pools.driver_metric = drivers.metric
        and pools.driver_level = drivers.driver_level
        and pools.driver_value = drivers.driver_value
    where pools.allocation_method = 'usage'

)

select * from usage_shares
