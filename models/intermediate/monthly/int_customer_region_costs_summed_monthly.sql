{#- One row per month x customer x region of the charges x currency: the ledger
    (customer_costs_daily) summed over the month, in total and its network and surcharge parts,
    which customer_region_costs_monthly reads. Incremental by month: a build sums again only the
    months that hold a day it allocates and keeps the others. -#}
{{ config(**cost_per_customer.month_ledger_config()) }}
-- depends_on: {{ ref('int_days_to_process') }}
with

ledger as (

    select * from {{ ref('customer_costs_daily') }}
    where {{ cost_per_customer.in_days_to_process('cost_date', whole_months=true) }}

),

summed as (

    select
        {{ cost_per_customer.month_start('ledger.cost_date') }} as month,
        ledger.customer_id,
        ledger.region_id,
        ledger.currency,
        sum(ledger.allocated_cost) as total_cost,
        sum(case when ledger.cost_category = 'network' then ledger.allocated_cost else 0 end) as network_cost,
        sum(case when ledger.surcharge_name is not null then ledger.allocated_cost else 0 end) as surcharge_cost,
        count(distinct ledger.cost_date) as days_with_cost

    from ledger
    group by 1, 2, 3, 4

),

final as (

    select
        summed.customer_id,
        summed.region_id,
        summed.currency,
        cast(summed.total_cost as {{ cost_per_customer.money_type() }}) as total_cost,
        cast(summed.network_cost as {{ cost_per_customer.money_type() }}) as network_cost,
        cast(summed.surcharge_cost as {{ cost_per_customer.money_type() }}) as surcharge_cost,
        summed.days_with_cost,
        summed.month

    from summed

)

select * from final
