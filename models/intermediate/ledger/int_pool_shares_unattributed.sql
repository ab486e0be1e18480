{#- Shares of the pools no rule places: unattributed pools, and rule pools that found no recipient. -#}
with

pools as (

    select * from {{ ref('int_cost_pools') }}
    where {{ cost_per_customer.in_days_to_process('cost_date') }}

),

direct_shares as (

    select * from {{ ref('int_pool_shares_direct') }}

),

usage_shares as (

    select * from {{ ref('int_pool_shares_usage') }}

),

recipient_shares as (

    select * from {{ ref('int_pool_shares_recipients') }}

),

proportional_shares as (

    select * from {{ ref('int_pool_shares_proportional') }}

),

unattributed_shares as (

    select
        pools.pool_id,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        pools.unattributed_reason,
        cast(1 as double) as allocation_share,
        cast(null as {{ cost_per_customer.money_type() }}) as driver_quantity,
        cast(null as {{ cost_per_customer.money_type() }}) as driver_total_quantity

    from pools
    where pools.allocation_method is null

),

placed_pools as (

    select direct_shares.pool_id from direct_shares
    union
    select usage_shares.pool_id from usage_shares
    union
    select recipient_shares.pool_id from recipient_shares
    union
    select proportional_shares.pool_id from proportional_shares
    union
    select unattributed_shares.pool_id from unattributed_shares

),

{# A pool that found no recipient at all (e.g. a proportional rule whose basis went only to
    unknown customers) stays whole, unattributed, rather than vanish. -#}
orphan_shares as (

    select
        pools.pool_id,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        'no_rule' as unattributed_reason,
        cast(1 as double) as allocation_share,
        cast(null as {{ cost_per_customer.money_type() }}) as driver_quantity,
        cast(null as {{ cost_per_customer.money_type() }}) as driver_total_quantity

    from pools
    left join placed_pools
        on pools.pool_id = placed_pools.pool_id
    where placed_pools.pool_id is null

),

unplaced_shares as (

    select * from unattributed_shares
    union all
    select * from orphan_shares

)

select * from unplaced_shares
