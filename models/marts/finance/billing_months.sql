{#- One row per month with a provider billing period; see _finance__models.yml. The one place that
    decides whether a month still contains estimated billing: every customer mart with a month,
    quarter or year reads is_estimated from here. -#}
with

billing_periods as (

    select * from {{ ref('billing_periods') }}
    where billing_format <> 'other_costs'

),

periods_by_month as (

    select
        {{ cost_per_customer.month_start('billing_periods.billing_period_start_date') }} as month,
        cast(count(*) as bigint) as billing_periods,
        cast(sum(case when billing_periods.period_status = 'estimated' then 1 else 0 end) as bigint) as estimated_periods

    from billing_periods
    group by 1

),

final as (

    select
        periods_by_month.month,
        periods_by_month.billing_periods,
        periods_by_month.estimated_periods,
        periods_by_month.estimated_periods > 0 as is_estimated

    from periods_by_month

)

select * from final
