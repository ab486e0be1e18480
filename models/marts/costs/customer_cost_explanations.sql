{#- One row per customer x month x rule x service x driver metric; see _costs__models.yml.
    Incremental by month: a build sums again only the months that hold a day it allocates (every
    row here comes from the month's days of the ledger and its pools). -#}
{{ config(**cost_per_customer.month_ledger_config()) }}
-- depends_on: {{ ref('int_days_to_process') }}
with

ledger as (

    select * from {{ ref('customer_costs_daily') }}
    where {{ cost_per_customer.in_days_to_process('cost_date', whole_months=true) }}

),

pools as (

    select * from {{ ref('int_cost_pools') }}
    where {{ cost_per_customer.in_days_to_process('cost_date', whole_months=true) }}

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
