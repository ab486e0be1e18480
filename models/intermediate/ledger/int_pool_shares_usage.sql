{#- Shares of usage pools: each customer's part of the day's driver quantity. With sampled
    telemetry the share is an estimate: allocation_share_variance is its variance by the delta
    method, from the customer's quantity q and the rest of the pool's R = Q - q, sampled
    independently: (R^2 var(q) + q^2 var(R)) / Q^4 (0 when nothing was sampled). -#}
with

pools as (

    select * from {{ ref('int_cost_pools') }}
    where {{ cost_per_customer.in_days_to_process('cost_date') }}

),

drivers as (

    select * from {{ ref('int_usage_drivers_daily') }}

),

{# Telemetry without a known customer is unknown_customer. -#}
pool_drivers as (

    select
        pools.pool_id,
        drivers.customer_id,
        drivers.quantity,
        drivers.raw_quantity,
        drivers.sampling_variance,
        sum(drivers.quantity) over (partition by pools.pool_id) as total_quantity,
        sum(drivers.sampling_variance) over (partition by pools.pool_id) as total_sampling_variance

    from pools
    inner join drivers
        on {{ cost_per_customer.is_driver_of_usage_pool('pools', 'drivers') }}
    where pools.allocation_method = 'usage'

),

usage_shares as (

    select
        pool_drivers.pool_id,
        pool_drivers.customer_id,
        case when pool_drivers.customer_id is null then 'unknown_customer' end as unattributed_reason,
        cast(pool_drivers.quantity as double) / cast(pool_drivers.total_quantity as double) as allocation_share,
        pool_drivers.quantity as driver_quantity,
        pool_drivers.total_quantity as driver_total_quantity,
        pool_drivers.raw_quantity as raw_driver_quantity,
        (
            power(cast(pool_drivers.total_quantity - pool_drivers.quantity as double), 2) * pool_drivers.sampling_variance
            + power(cast(pool_drivers.quantity as double), 2) * (pool_drivers.total_sampling_variance - pool_drivers.sampling_variance)
        ) / power(cast(pool_drivers.total_quantity as double), 4) as allocation_share_variance

    from pool_drivers

)

select * from usage_shares
