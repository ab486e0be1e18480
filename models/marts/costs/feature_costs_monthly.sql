{#- One row per feature x month: the usage-driven cost of every customer by feature; see
    _costs__models.yml. -#}
with

customer_features as (

    select * from {{ ref('customer_feature_costs_monthly') }}

),

summed as (

    select
        customer_features.month,
        customer_features.feature,
        customer_features.currency,
        count(distinct customer_features.customer_id) as customer_count,
        cast(sum(customer_features.feature_cost) as {{ cost_per_customer.money_type() }}) as feature_cost

    from customer_features
    group by 1, 2, 3

)

select * from summed
