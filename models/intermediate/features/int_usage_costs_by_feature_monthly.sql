{#- One row per month x customer x feature x currency: the customer's usage-driven cost by feature
    summed over the month (int_usage_costs_by_feature). Incremental by month: a build sums again
    only the months that hold a day it allocates and keeps the others. -#}
{{ config(**cost_per_customer.month_ledger_config()) }}
-- depends_on: {{ ref('int_days_to_process') }}
with

feature_costs as (

    select * from {{ ref('int_usage_costs_by_feature') }}
    where {{ cost_per_customer.in_days_to_process('cost_date', whole_months=true) }}

),

monthly as (

    select
        {{ cost_per_customer.month_start('feature_costs.cost_date') }} as month,
        feature_costs.customer_id,
        feature_costs.feature,
        feature_costs.currency,
        sum(feature_costs.feature_cost) as feature_cost

    from feature_costs
    group by 1, 2, 3, 4

),

final as (

    select
        monthly.customer_id,
        monthly.feature,
        monthly.currency,
        cast(monthly.feature_cost as {{ cost_per_customer.money_type() }}) as feature_cost,
        monthly.month

    from monthly

)

select * from final
