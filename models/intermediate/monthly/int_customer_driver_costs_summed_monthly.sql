{#- One row per month x customer x usage-driven pool family (service x driver metric) x currency in
    which the ledger allocated the customer usage cost of the family: its driver volume (each
    driver once a day, however many of the customer's pools it split) and the cost allocated to it,
    which customer_marginal_costs_monthly prices at the margin. Incremental by month: a build sums
    again only the months that hold a day it allocates and keeps the others. -#}
{{ config(**cost_per_customer.month_ledger_config()) }}
-- depends_on: {{ ref('int_days_to_process') }}
with

ledger as (

    select * from {{ ref('customer_costs_daily') }}
    where allocation_method = 'usage'
        and {{ cost_per_customer.in_days_to_process('cost_date', whole_months=true) }}

),

pools as (

    select * from {{ ref('int_cost_pools') }}
    where allocation_method = 'usage'
        and {{ cost_per_customer.in_days_to_process('cost_date', whole_months=true) }}

),

ledger_drivers as (

    select
        ledger.cost_date,
        ledger.customer_id,
        ledger.service_name,
        ledger.driver_metric,
        ledger.currency,
        pools.driver_service,
        pools.driver_level,
        pools.driver_value,
        ledger.driver_quantity,
        ledger.allocated_cost

    from ledger
    inner join pools
        on ledger.pool_id = pools.pool_id

),

{# A driver's quantity once a day, however many of the customer's pools it split; the cost of
    all of them. -#}
daily_drivers as (

    select
        ledger_drivers.cost_date,
        ledger_drivers.customer_id,
        ledger_drivers.service_name,
        ledger_drivers.driver_metric,
        ledger_drivers.currency,
        max(ledger_drivers.driver_quantity) as driver_quantity,
        sum(ledger_drivers.allocated_cost) as allocated_cost

    from ledger_drivers
    group by 1, 2, 3, 4, 5, ledger_drivers.driver_service, ledger_drivers.driver_level, ledger_drivers.driver_value

),

monthly as (

    select
        daily_drivers.customer_id,
        daily_drivers.service_name,
        daily_drivers.driver_metric,
        daily_drivers.currency,
        {{ cost_per_customer.month_start('daily_drivers.cost_date') }} as month,
        sum(daily_drivers.driver_quantity) as driver_quantity,
        sum(daily_drivers.allocated_cost) as allocated_cost

    from daily_drivers
    group by 1, 2, 3, 4, 5

),

final as (

    select
        monthly.customer_id,
        monthly.service_name,
        monthly.driver_metric,
        monthly.currency,
        cast(monthly.driver_quantity as {{ cost_per_customer.money_type() }}) as driver_quantity,
        cast(monthly.allocated_cost as {{ cost_per_customer.money_type() }}) as allocated_cost,
        monthly.month

    from monthly

)

select * from final
