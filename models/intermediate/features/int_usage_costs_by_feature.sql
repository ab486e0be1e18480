{#- One row per day x usage pool x customer x feature: the customer's usage-driven cost of the pool
    (customer_costs_daily, method usage) split by the features behind its driver quantity
    (int_usage_driver_features_daily); telemetry without a feature is 'unassigned'. Each split is
    rounded and its remainder put on the largest feature, so the features of a customer's pool add
    up to its allocated cost exactly. Kept day by day (day_ledger_config): a build splits again
    only the days it allocates. -#}
{{ config(**cost_per_customer.day_ledger_config()) }}
with

ledger as (

    select * from {{ ref('customer_costs_daily') }}
    where allocation_method = 'usage'
        and {{ cost_per_customer.in_days_to_process('cost_date') }}

),

pools as (

    select * from {{ ref('int_cost_pools') }}
    where {{ cost_per_customer.in_days_to_process('cost_date') }}

),

feature_drivers as (

    select * from {{ ref('int_usage_driver_features_daily') }}
    where {{ cost_per_customer.in_days_to_process('cost_date') }}

),

feature_parts as (

    select
        ledger.cost_date,
        ledger.pool_id,
        ledger.customer_id,
        ledger.currency,
        ledger.allocated_cost,
        feature_drivers.feature,
        feature_drivers.quantity as feature_quantity,
        {{ cost_per_customer.scale_money(
            'ledger.allocated_cost',
            'cast(feature_drivers.quantity as double) / cast(ledger.driver_quantity as double)'
        ) }} as rounded_cost

    from ledger
    inner join pools
        on ledger.pool_id = pools.pool_id
    inner join feature_drivers
        on {{ cost_per_customer.is_driver_of_usage_pool('pools', 'feature_drivers') }}
        and ledger.customer_id = feature_drivers.customer_id

),

conserved as (

    select
        feature_parts.pool_id,
        feature_parts.customer_id,
        feature_parts.feature,
        feature_parts.currency,
        feature_parts.feature_quantity,
        {{ cost_per_customer.largest_remainder(
            'feature_parts.rounded_cost',
            'feature_parts.allocated_cost',
            'feature_parts.pool_id, feature_parts.customer_id',
            'abs(feature_parts.rounded_cost) desc, feature_parts.feature asc'
        ) }} as feature_cost,
        feature_parts.cost_date

    from feature_parts

)

select * from conserved
