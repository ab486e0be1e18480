{#- One row per segment per month: the distribution of cost per customer; see _costs__models.yml. -#}
with

customer_months as (

    select * from {{ ref('customer_costs_monthly') }}

),

summarized as (

    select
        customer_months.month,
        customer_months.segment,
        customer_months.currency,
        count(*) as customer_count,
        cast(sum(customer_months.total_cost) as {{ cost_per_customer.money_type() }}) as total_cost,
        cast(avg(cast(customer_months.total_cost as double)) as {{ cost_per_customer.money_type() }}) as mean_cost_per_customer,
        cast(
            {{ cost_per_customer.percentile_cont('customer_months.total_cost', 0.5) }} as {{ cost_per_customer.money_type() }}
        ) as median_cost_per_customer,
        cast(
            {{ cost_per_customer.percentile_cont('customer_months.total_cost', 0.9) }} as {{ cost_per_customer.money_type() }}
        ) as p90_cost_per_customer,
        cast(
            coalesce(stddev_samp(cast(customer_months.total_cost as double)), 0) as {{ cost_per_customer.money_type() }}
        ) as stddev_cost_per_customer

    from customer_months
    group by 1, 2, 3

)

select * from summarized
