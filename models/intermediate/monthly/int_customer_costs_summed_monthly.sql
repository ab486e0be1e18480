{#- One row per month x customer x currency with cost: the ledger (customer_costs_daily) summed over
    the month, in total and by cost category, which customer_costs_monthly reads. Incremental by
    month: a build sums again only the months that hold a day it allocates and keeps the others. -#}
{%- set categories = cost_per_customer.cost_categories() -%}
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
        ledger.currency,
        sum(ledger.allocated_cost) as total_cost,
        {%- for category in categories %}
        sum(case when ledger.cost_category = '{{ category }}' then ledger.allocated_cost else 0 end) as {{ category }}_cost,
        {%- endfor %}
        sum(case when ledger.surcharge_name is not null then ledger.allocated_cost else 0 end) as surcharge_cost,
        count(distinct ledger.cost_date) as days_with_cost,
        sum(ledger.cost_sampling_variance) as cost_sampling_variance

    from ledger
    group by 1, 2, 3

),

final as (

    select
        summed.customer_id,
        summed.currency,
        cast(summed.total_cost as {{ cost_per_customer.money_type() }}) as total_cost,
        {%- for category in categories %}
        cast(summed.{{ category }}_cost as {{ cost_per_customer.money_type() }}) as {{ category }}_cost,
        {%- endfor %}
        cast(summed.surcharge_cost as {{ cost_per_customer.money_type() }}) as surcharge_cost,
        summed.days_with_cost,
        summed.cost_sampling_variance,
        summed.month

    from summed

)

select * from final
