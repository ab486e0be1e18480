{#- One row per customer per month of revenue.csv, in the reporting currency; see _currency__models.yml. -#}
with

revenue as (

    select * from {{ ref('stg_business__revenue') }}
    where quarantine_reason is null

),

monthly_rates as (

    select * from {{ ref('int_fx_rates_monthly') }}

),

by_currency as (

    select
        revenue.revenue_month,
        lower(revenue.customer_id) as customer_key,
        min(revenue.customer_id) as customer_id,
        revenue.revenue_currency,
        sum(revenue.revenue) as revenue_in_source_currency

    from revenue
    group by revenue.revenue_month, lower(revenue.customer_id), revenue.revenue_currency

),

converted as (

    select
        by_currency.revenue_month,
        by_currency.customer_key,
        by_currency.customer_id,
        by_currency.revenue_currency,
        by_currency.revenue_in_source_currency,
        {{ cost_per_customer.convert_money(
            'by_currency.revenue_in_source_currency',
            cost_per_customer.fx_rate_or_one('by_currency.revenue_currency', 'monthly_rates.fx_rate'),
        ) }} as revenue

    from by_currency
    left join monthly_rates
        on by_currency.revenue_currency = monthly_rates.currency
        and by_currency.revenue_month = monthly_rates.rate_month

),

monthly as (

    select
        converted.revenue_month,
        converted.customer_key,
        min(converted.customer_id) as customer_id,
        '{{ cost_per_customer.reporting_currency() }}' as currency,
        case when count(converted.revenue) = count(*) then sum(converted.revenue) end as revenue,
        min(case when converted.revenue is null then converted.revenue_currency end) as unconverted_currency,
        count(*) as source_currency_count

    from converted
    group by converted.revenue_month, converted.customer_key

)

select * from monthly
