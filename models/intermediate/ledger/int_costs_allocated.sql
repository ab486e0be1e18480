{#- The rounded ledger: each pool's shares as money, the rounding remainder on the largest recipient. -#}
with

pools as (

    select * from {{ ref('int_cost_pools') }}
    where {{ cost_per_customer.in_days_to_process('cost_date') }}

),

shares as (

    select * from {{ ref('int_pool_shares') }}

),

amounts as (

    select
        shares.*,
        pools.cost_date,
        pools.billing_currency as currency,
        pools.pool_cost,
        {{ cost_per_customer.scale_money('pools.pool_cost', 'shares.allocation_share') }} as rounded_cost

    from shares
    inner join pools
        on shares.pool_id = pools.pool_id

),

conserved as (

    select
        amounts.cost_date,
        amounts.pool_id,
        amounts.customer_id,
        amounts.unattributed_reason,
        amounts.currency,
        amounts.allocation_share,
        amounts.driver_quantity,
        amounts.driver_total_quantity,
        amounts.raw_driver_quantity,
        power(cast(amounts.pool_cost as double), 2) * amounts.allocation_share_variance as cost_sampling_variance,
        {{ cost_per_customer.largest_remainder(
            'amounts.rounded_cost',
            'amounts.pool_cost',
            'amounts.pool_id',
            'abs(amounts.rounded_cost) desc, amounts.customer_id, amounts.unattributed_reason asc'
        ) }} as allocated_cost

    from amounts

)

select * from conserved
