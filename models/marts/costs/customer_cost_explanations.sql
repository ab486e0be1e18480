{#- Why a customer costs what it does: one row per customer x month x rule x service x driver
    metric, with the allocated cost, the customer's driver (usage quantity, weight, followed cost)
    and the pools' driver totals summed over the month, and the pools' whole cost. The charges
    behind a row: its pools (customer_costs_daily.pool_id) → int_cost_candidates → int_charge_days_matched;
    `cpc explain` lists the largest. -#}
with

ledger as (

    select * from {{ ref('customer_costs_daily') }}

),

pools as (

    select * from {{ ref('int_cost_pools') }}

),

explained as (

    select
        {{ cost_per_customer.month_start('ledger.cost_date') }} as month,
        ledger.customer_id,
        ledger.rule_name,
        ledger.rule_version,
        ledger.allocation_method,
        ledger.service_name,
        ledger.cost_category,
        ledger.driver_metric,
        ledger.currency,
        count(distinct ledger.cost_date) as days,
        count(*) as pool_days,
        sum(ledger.driver_quantity) as customer_driver_quantity,
        sum(ledger.driver_total_quantity) as pools_driver_quantity,
        sum(pools.pool_cost) as pools_cost,
        sum(ledger.allocated_cost) as allocated_cost

    from ledger
    inner join pools
        on ledger.pool_id = pools.pool_id
    group by 1, 2, 3, 4, 5, 6, 7, 8, 9

),

final as (

    select
        explained.month,
        explained.customer_id,
        explained.rule_name,
        explained.rule_version,
        explained.allocation_method,
        explained.service_name,
        explained.cost_category,
        explained.driver_metric,
        explained.currency,
        explained.days,
        explained.pool_days,
        cast(explained.customer_driver_quantity as {{ cost_per_customer.money_type() }}) as customer_driver_quantity,
        cast(explained.pools_driver_quantity as {{ cost_per_customer.money_type() }}) as pools_driver_quantity,
        cast(explained.pools_cost as {{ cost_per_customer.money_type() }}) as pools_cost,
        cast(explained.allocated_cost as {{ cost_per_customer.money_type() }}) as allocated_cost

    from explained

)

select * from final
