{#- Every cost pool allocated by this build (int_days_to_process): its ledger rows (customers plus
    unattributed) add up exactly to the pool's cost. Returns the pools that do not. -#}
with

ledger_by_pool as (

    select
        pool_id,
        sum(allocated_cost) as ledger_cost
    from {{ ref('int_costs_allocated') }}
    group by pool_id

)

select
    pools.pool_id,
    pools.pool_cost,
    ledger_by_pool.ledger_cost

from {{ ref('int_cost_pools') }} as pools
left join ledger_by_pool
    on pools.pool_id = ledger_by_pool.pool_id
where {{ cost_per_customer.in_days_to_process('pools.cost_date') }}
    and (ledger_by_pool.pool_id is null or ledger_by_pool.ledger_cost <> pools.pool_cost)
