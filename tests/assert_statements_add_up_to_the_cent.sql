{#- Penny-exact statements: per month and currency the lines add up exactly to the month's total
    rounded to cents, and no line is more than a cent from its exact amount. Returns the months or
    lines that break either. -#}
with

statements as (

    select * from {{ ref('customer_statements_monthly') }}

),

months as (

    select
        month,
        currency,
        sum(statement_cost) as lines_total,
        round(sum(exact_cost), 2) as rounded_total,
        max(month_statement_total) as stated_total

    from statements
    group by 1, 2

)

select
    'month' as failure,
    month,
    currency,
    cast(null as {{ dbt.type_string() }}) as customer_id,
    lines_total as amount,
    rounded_total as expected
from months
where lines_total <> rounded_total or stated_total <> rounded_total

union all

select
    'line' as failure,
    month,
    currency,
    customer_id,
    statement_cost as amount,
    exact_cost as expected
from statements
where abs(statement_cost - exact_cost) >= 0.01
