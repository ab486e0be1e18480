{#- One row per month x reason of unattributed cost; see _costs__models.yml. -#}
with

allocated as (

    select * from {{ ref('customer_costs_daily') }}

),

unattributed as (

    select * from {{ ref('unattributed_costs_daily') }}

),

monthly_totals as (

    select
        cost_month,
        currency,
        sum(cost) as total_cost
    from (
        select
            {{ cost_per_customer.month_start('allocated.cost_date') }} as cost_month,
            allocated.currency,
            allocated.allocated_cost as cost
        from allocated
        union all
        select
            {{ cost_per_customer.month_start('unattributed.cost_date') }} as cost_month,
            unattributed.currency,
            unattributed.unattributed_cost as cost
        from unattributed
    ) as month_costs
    group by 1, 2

),

by_reason as (

    select
        {{ cost_per_customer.month_start('unattributed.cost_date') }} as cost_month,
        unattributed.reason,
        unattributed.currency,
        sum(unattributed.unattributed_cost) as unattributed_cost,
        sum(unattributed.quarantined_row_count) as quarantined_row_count

    from unattributed
    group by 1, 2, 3

),

{# The month's unattributed cost of every reason, beside each reason's. -#}
with_month_unattributed as (

    select
        by_reason.*,
        sum(by_reason.unattributed_cost) over (partition by by_reason.cost_month, by_reason.currency) as month_unattributed_cost

    from by_reason

),

final as (

    select
        by_reason.cost_month as month,
        by_reason.reason,
        by_reason.currency,
        cast(by_reason.unattributed_cost as {{ cost_per_customer.money_type() }}) as unattributed_cost,
        cast(monthly_totals.total_cost as {{ cost_per_customer.money_type() }}) as month_total_cost,
        case
            when monthly_totals.total_cost <> 0
                then cast(by_reason.unattributed_cost as double) / cast(monthly_totals.total_cost as double)
        end as share_of_total_cost,
        cast(by_reason.quarantined_row_count as bigint) as quarantined_row_count,
        case
            when monthly_totals.total_cost <> 0
                then cast(by_reason.month_unattributed_cost as double) / cast(monthly_totals.total_cost as double)
        end as month_unattributed_share

    from with_month_unattributed as by_reason
    left join monthly_totals
        on (
            by_reason.cost_month = monthly_totals.cost_month
            or (by_reason.cost_month is null and monthly_totals.cost_month is null)
        )
        and by_reason.currency = monthly_totals.currency

)

select * from final
