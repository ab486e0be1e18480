{#- The ledger: one row per day x customer x cost pool, with the rule that placed the cost. -#}
{{ config(**cost_per_customer.day_ledger_config()) }}
-- depends_on: {{ ref('int_days_to_process') }}
with

ledger as (

    select * from {{ ref('int_costs_allocated') }}
    where customer_id is not null

),

pools as (

    select * from {{ ref('int_cost_pools') }}

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
        pools.cost_category,
        pools.region_id,
        pools.billing_account_id,
        pools.charge_category,
        pools.surcharge_name,
        ledger.currency,
        {{ cost_per_customer.rules_in_effect_fingerprint('ledger.cost_date') }} as rules_hash,
        ledger.driver_quantity,
        ledger.driver_total_quantity,
        ledger.raw_driver_quantity,
        ledger.allocation_share,
        ledger.cost_sampling_variance,
        ledger.allocated_cost

    from ledger
    inner join pools
        on ledger.pool_id = pools.pool_id

)

select * from described
