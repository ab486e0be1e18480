{#- One row per customer per month per region of the charges behind the cost; see _costs__models.yml. -#}
with

by_region as (

    select * from {{ ref('int_customer_region_costs_summed_monthly') }}

),

customers as (

    select * from {{ ref('customers') }}

),

billing_months as (

    select * from {{ ref('billing_months') }}

),

with_shares as (

    select
        by_region.month,
        by_region.customer_id,
        customers.segment,
        customers.region_id as customer_home_region_id,
        by_region.region_id,
        by_region.currency,
        by_region.total_cost,
        by_region.network_cost,
        by_region.surcharge_cost,
        case
            when sum(by_region.total_cost) over (partition by by_region.month, by_region.customer_id, by_region.currency) <> 0
                then cast(by_region.total_cost as double)
                    / cast(
                        sum(by_region.total_cost) over (
                            partition by by_region.month, by_region.customer_id, by_region.currency
                        ) as double
                    )
        end as share_of_customer_month,
        by_region.days_with_cost,
        coalesce(billing_months.is_estimated, false) as is_estimated

    from by_region
    inner join customers
        on by_region.customer_id = customers.customer_id
    left join billing_months
        on by_region.month = billing_months.month

)

select * from with_shares
