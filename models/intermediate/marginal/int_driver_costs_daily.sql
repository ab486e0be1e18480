{#- One row per usage-driven pool family (the pools' service x driver metric) x currency x day: the
    cost of the family's usage pools and the driver volume that split them (docs/marginal_cost.md). -#}
with

pools as (

    select * from {{ ref('int_cost_pools') }}
    where allocation_method = 'usage'

),

drivers as (

    select * from {{ ref('int_usage_drivers_daily') }}

),

family_costs as (

    select
        pools.cost_date,
        pools.service_name,
        pools.driver_metric,
        pools.billing_currency as currency,
        count(*) as pool_count,
        sum(pools.pool_cost) as pool_cost

    from pools
    group by 1, 2, 3, 4

),

{# Each driver once a day, however many pools it splits (a surcharge's pool shares its charge's). -#}
family_drivers as (

    select distinct
        pools.cost_date,
        pools.service_name,
        pools.driver_metric,
        pools.billing_currency as currency,
        pools.driver_service,
        pools.driver_level,
        pools.driver_value

    from pools

),

{# All the telemetry on the driver, customers unknown to customers.csv included. -#}
family_volumes as (

    select
        family_drivers.cost_date,
        family_drivers.service_name,
        family_drivers.driver_metric,
        family_drivers.currency,
        sum(drivers.quantity) as driver_quantity

    from family_drivers
    inner join drivers
        on {{ cost_per_customer.is_driver_of_usage_pool('family_drivers', 'drivers') }}
    group by 1, 2, 3, 4

),

daily as (

    select
        family_costs.cost_date,
        family_costs.service_name,
        family_costs.driver_metric,
        family_costs.currency,
        family_costs.pool_count,
        family_costs.pool_cost,
        coalesce(family_volumes.driver_quantity, 0) as driver_quantity

    from family_costs
    left join family_volumes
        on family_costs.cost_date = family_volumes.cost_date
        and family_costs.service_name = family_volumes.service_name
        and family_costs.driver_metric = family_volumes.driver_metric
        and family_costs.currency = family_volumes.currency

)

select * from daily
