{#- Revenue in another currency than the reporting one needs exchange rates in its month
    (int_revenue_monthly converts it at the month's average daily rate). Returns one row per
    currency and month of revenue.csv without any usable rate, with how many customers it concerns
    and an example customer. -#}
with

unconverted as (

    select * from {{ ref('int_revenue_monthly') }}
    where unconverted_currency is not null

)

select
    unconverted.unconverted_currency as currency,
    unconverted.revenue_month,
    count(*) as customers,
    min(unconverted.customer_id) as example_customer

from unconverted
group by unconverted.unconverted_currency, unconverted.revenue_month
