{#- One row per currency per month with a usable rate: the mean of the month's daily rates; see _currency__models.yml. -#}
with

fx_rates as (

    select * from {{ ref('int_fx_rates_daily') }}

),

monthly as (

    select
        fx_rates.currency,
        {{ cost_per_customer.month_start('fx_rates.cost_date') }} as rate_month,
        avg(fx_rates.fx_rate) as fx_rate,
        count(*) as rate_days

    from fx_rates
    group by 1, 2

)

select * from monthly
