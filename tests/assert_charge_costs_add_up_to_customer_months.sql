{#- A customer's charge rows for a month add up exactly to its total_cost in customer_costs_monthly
    (so every dollar on a customer is traced to a charge or a ticket). Returns the customer-months
    that differ. -#}
with

traced as (

    select
        month,
        customer_id,
        currency,
        sum(customer_cost) as traced_cost
    from {{ ref('customer_charge_costs_monthly') }}
    group by 1, 2, 3

)

select
    coalesce(customer_months.month, traced.month) as month,
    coalesce(customer_months.customer_id, traced.customer_id) as customer_id,
    customer_months.total_cost,
    traced.traced_cost

from {{ ref('customer_costs_monthly') }} as customer_months
full outer join traced
    on customer_months.month = traced.month
    and customer_months.customer_id = traced.customer_id
    and customer_months.currency = traced.currency
where customer_months.total_cost is null
    or traced.traced_cost is null
    or traced.traced_cost <> customer_months.total_cost
