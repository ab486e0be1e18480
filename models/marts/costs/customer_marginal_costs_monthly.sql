{#- One row per customer x usage-driven pool family (service x driver metric) x currency x month:
    the customer's own driver volume priced at the family's marginal unit cost against the cost
    the ledger allocated to it (docs/marginal_cost.md). -#}
with

driver_costs as (

    select * from {{ ref('int_customer_driver_costs_summed_monthly') }}

),

marginal as (

    select * from {{ ref('marginal_cost_by_driver') }}

),

billing_months as (

    select * from {{ ref('billing_months') }}

),

priced as (

    select
        driver_costs.customer_id,
        driver_costs.service_name,
        driver_costs.driver_metric,
        driver_costs.currency,
        marginal.unreliable_reason,
        cast(driver_costs.driver_quantity as double) as driver_quantity,
        driver_costs.allocated_cost,
        marginal.marginal_unit_cost,
        cast(driver_costs.driver_quantity as double) * marginal.marginal_unit_cost as marginal_cost,
        case when driver_costs.driver_quantity > 0
            then cast(driver_costs.allocated_cost as double) / cast(driver_costs.driver_quantity as double)
        end as average_unit_cost,
        case when driver_costs.allocated_cost <> 0
            then cast(driver_costs.driver_quantity as double) * marginal.marginal_unit_cost
                / cast(driver_costs.allocated_cost as double)
        end as marginal_to_allocated_ratio,
        coalesce(marginal.is_reliable, false) as is_reliable,
        coalesce(billing_months.is_estimated, false) as is_estimated,
        driver_costs.month

    from driver_costs
    left join marginal
        on driver_costs.service_name = marginal.service_name
        and driver_costs.driver_metric = marginal.driver_metric
        and driver_costs.currency = marginal.currency
        and driver_costs.month = marginal.month
    left join billing_months
        on driver_costs.month = billing_months.month

)

select * from priced
