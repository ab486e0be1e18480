{#- One row per customer x month with a budget: the customer's own, else its segment's; see _budgets__models.yml. -#}
with

budgets as (

    select * from {{ ref('int_budgets_converted') }}
    where problem is null

),

customers as (

    select * from {{ ref('stg_business__customers') }}
    where quarantine_reason is null

),

own as (

    select
        budgets.budget_month,
        budgets.customer_id,
        budgets.currency,
        budgets.budget_amount,
        'customer' as budget_source

    from budgets
    where budgets.customer_id is not null

),

{# A segment's budget is each of its customers' budget, for the customers active in the month
    (active_to is exclusive; an open end is no bound). -#}
from_segment as (

    select
        budgets.budget_month,
        customers.customer_id,
        budgets.currency,
        budgets.budget_amount,
        'segment' as budget_source

    from budgets
    inner join customers
        on budgets.segment = customers.segment
        and (customers.active_from_date is null
            or {{ cost_per_customer.add_months('budgets.budget_month', 1) }} > customers.active_from_date)
        and (customers.active_to_date is null or budgets.budget_month < customers.active_to_date)
    where budgets.segment is not null

),

chosen as (

    select * from own

    union all

    select from_segment.*
    from from_segment
    left join own
        on from_segment.customer_id = own.customer_id
        and from_segment.budget_month = own.budget_month
    where own.customer_id is null

)

select * from chosen
