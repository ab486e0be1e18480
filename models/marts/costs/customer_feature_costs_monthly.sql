{#- One row per customer x month x feature: the customer's usage-driven cost by the features that
    drove it; see _costs__models.yml. -#}
with

monthly as (

    select * from {{ ref('int_usage_costs_by_feature_monthly') }}

),

billing_months as (

    select * from {{ ref('billing_months') }}

),

with_share as (

    select
        monthly.month,
        monthly.customer_id,
        monthly.feature,
        monthly.currency,
        monthly.feature_cost,
        cast(
            sum(monthly.feature_cost) over (partition by monthly.month, monthly.customer_id, monthly.currency)
            as {{ cost_per_customer.money_type() }}
        ) as usage_cost,
        coalesce(billing_months.is_estimated, false) as is_estimated

    from monthly
    left join billing_months
        on monthly.month = billing_months.month

),

final as (

    select
        with_share.*,
        case
            when with_share.usage_cost <> 0
                then cast(with_share.feature_cost as double) / cast(with_share.usage_cost as double)
        end as feature_share

    from with_share

)

select * from final
