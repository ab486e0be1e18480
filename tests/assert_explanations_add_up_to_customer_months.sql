{#- A customer's explanation rows for a month add up exactly to its total_cost in
    customer_costs_monthly (so every dollar on a customer is explained). Returns the customer-months
    that differ. -#}
with

explained as (

    select
        month,
        customer_id,
        currency,
        sum(allocated_cost) as explained_cost
    from {{ ref('customer_cost_explanations') }}
    group by 1, 2, 3

)

select
    customer_months.month,
    customer_months.customer_id,
    customer_months.total_cost,
    explained.explained_cost

from {{ ref('customer_costs_monthly') }} as customer_months
left join explained
    on customer_months.month = explained.month
    and customer_months.customer_id = explained.customer_id
    and customer_months.currency = explained.currency
where explained.explained_cost is null
    or explained.explained_cost <> customer_months.total_cost
