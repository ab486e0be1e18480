{#- Every pool's shares, whatever placed them: the input of the rounded ledger. Only usage shares
    can come from sampled telemetry; the others are exact (raw quantity = quantity, variance 0). -#}
with

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

unplaced_shares as (

    select * from {{ ref('int_pool_shares_unattributed') }}

),

all_shares as (

    select
        direct_shares.pool_id,
        direct_shares.customer_id,
        direct_shares.unattributed_reason,
        direct_shares.allocation_share,
        direct_shares.driver_quantity,
        direct_shares.driver_total_quantity,
        direct_shares.driver_quantity as raw_driver_quantity,
        cast(0 as double) as allocation_share_variance
    from direct_shares
    union all
    select
        usage_shares.pool_id,
        usage_shares.customer_id,
        usage_shares.unattributed_reason,
        usage_shares.allocation_share,
        usage_shares.driver_quantity,
        usage_shares.driver_total_quantity,
        usage_shares.raw_driver_quantity,
        usage_shares.allocation_share_variance
    from usage_shares
    union all
    select
        recipient_shares.pool_id,
        recipient_shares.customer_id,
        recipient_shares.unattributed_reason,
        recipient_shares.allocation_share,
        recipient_shares.driver_quantity,
        recipient_shares.driver_total_quantity,
        recipient_shares.driver_quantity as raw_driver_quantity,
        cast(0 as double) as allocation_share_variance
    from recipient_shares
    union all
    select
        proportional_shares.pool_id,
        proportional_shares.customer_id,
        proportional_shares.unattributed_reason,
        proportional_shares.allocation_share,
        proportional_shares.driver_quantity,
        proportional_shares.driver_total_quantity,
        proportional_shares.driver_quantity as raw_driver_quantity,
        cast(0 as double) as allocation_share_variance
    from proportional_shares
    union all
    select
        unplaced_shares.pool_id,
        unplaced_shares.customer_id,
        unplaced_shares.unattributed_reason,
        unplaced_shares.allocation_share,
        unplaced_shares.driver_quantity,
        unplaced_shares.driver_total_quantity,
        unplaced_shares.driver_quantity as raw_driver_quantity,
        cast(0 as double) as allocation_share_variance
    from unplaced_shares

)

select * from all_shares
