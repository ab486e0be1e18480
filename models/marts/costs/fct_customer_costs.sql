{#- The ledger: one row per day x customer x cost pool, with the rule that placed the cost. -#}
with

ledger as (

    select * from {{ ref('int_costs_allocated') }}
    where customer_id is not null

),

pools as (

    select * from {{ ref('int_cost_pools') }}

),

categories as (

    select * from {{ ref('service_category_cost_categories') }}

),

described as (

    select
        ledger.cost_date,
        ledger.customer_id,
        ledger.pool_id,
        pools.rule_name,
        pools.rule_version,
        pools.allocation_method,
        pools.driver_metric,
        pools.service_name,
        pools.service_category,
        {{ cost_per_customer.cost_category('pools.service_category', 'categories.cost_category') }} as cost_category,
        pools.region_id,
        pools.billing_account_id,
        pools.charge_category,
        ledger.currency,
        '{{ var("cpc_rules_hash", "default") }}' as rules_hash,
        ledger.driver_quantity,
        ledger.driver_total_quantity,
        ledger.allocation_share,
        ledger.allocated_cost

    from ledger
    inner join pools
        on ledger.pool_id = pools.pool_id
    left join categories
        on pools.service_category = categories.service_category

)

select * from described
