{#- One row per customer x usage-driven pool family (service x driver metric) x currency x month:
    the customer's own driver volume priced at the family's marginal unit cost against the cost
    the ledger allocated to it (docs/marginal_cost.md). -#}
with

ledger as (

    select * from {{ ref('customer_costs_daily') }}
    where allocation_method = 'usage'

),

pools as (

    select * from {{ ref('int_cost_pools') }}
    where allocation_method = 'usage'

),

marginal as (

    select * from {{ ref('marginal_cost_by_driver') }}

),

billing_months as (

    select * from {{ ref('billing_months') }}

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

{# A driver's quantity once a day, however many of the customer's pools it split. -#}
daily_volumes as (

    select
        ledger_drivers.cost_date,
        ledger_drivers.customer_id,
        ledger_drivers.service_name,
        ledger_drivers.driver_metric,
        ledger_drivers.currency,
        max(ledger_drivers.driver_quantity) as driver_quantity

    from ledger_drivers
    group by 1, 2, 3, 4, 5, ledger_drivers.driver_service, ledger_drivers.driver_level, ledger_drivers.driver_value

),

monthly_volumes as (

    select
        daily_volumes.customer_id,
        daily_volumes.service_name,
        daily_volumes.driver_metric,
        daily_volumes.currency,
        {{ cost_per_customer.month_start('daily_volumes.cost_date') }} as month,
        sum(daily_volumes.driver_quantity) as driver_quantity

    from daily_volumes
    group by 1, 2, 3, 4, 5

),

monthly_costs as (

    select
        ledger_drivers.customer_id,
        ledger_drivers.service_name,
        ledger_drivers.driver_metric,
        ledger_drivers.currency,
        {{ cost_per_customer.month_start('ledger_drivers.cost_date') }} as month,
        sum(ledger_drivers.allocated_cost) as allocated_cost

    from ledger_drivers
    group by 1, 2, 3, 4, 5

),

priced as (

    select
        monthly_costs.customer_id,
        monthly_costs.service_name,
        monthly_costs.driver_metric,
        monthly_costs.currency,
        marginal.unreliable_reason,
        cast(monthly_volumes.driver_quantity as double) as driver_quantity,
        cast(monthly_costs.allocated_cost as {{ cost_per_customer.money_type() }}) as allocated_cost,
        marginal.marginal_unit_cost,
        cast(monthly_volumes.driver_quantity as double) * marginal.marginal_unit_cost as marginal_cost,
        case when monthly_volumes.driver_quantity > 0
            then cast(monthly_costs.allocated_cost as double) / cast(monthly_volumes.driver_quantity as double)
        end as average_unit_cost,
        case when monthly_costs.allocated_cost <> 0
            then cast(monthly_volumes.driver_quantity as double) * marginal.marginal_unit_cost
                / cast(monthly_costs.allocated_cost as double)
        end as marginal_to_allocated_ratio,
        coalesce(marginal.is_reliable, false) as is_reliable,
        coalesce(billing_months.is_estimated, false) as is_estimated,
        monthly_costs.month

    from monthly_costs
    inner join monthly_volumes
        on monthly_costs.customer_id = monthly_volumes.customer_id
        and monthly_costs.service_name = monthly_volumes.service_name
        and monthly_costs.driver_metric = monthly_volumes.driver_metric
        and monthly_costs.currency = monthly_volumes.currency
        and monthly_costs.month = monthly_volumes.month
    left join marginal
        on monthly_costs.service_name = marginal.service_name
        and monthly_costs.driver_metric = marginal.driver_metric
        and monthly_costs.currency = marginal.currency
        and monthly_costs.month = marginal.month
    left join billing_months
        on monthly_costs.month = billing_months.month

)

select * from priced
