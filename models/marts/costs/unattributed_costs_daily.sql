{#- One row per day x cost pool x reason of cost on no customer; see _costs__models.yml. -#}
{#- Quarantined rows count on their day (a day whose quarantined rows change is allocated again,
    int_days_fingerprinted); those without a readable day are written again on every build. -#}
{{ config(**cost_per_customer.day_ledger_config(undated_reason='quarantined_input')) }}
-- depends_on: {{ ref('int_days_to_process') }}
with

ledger as (

    select * from {{ ref('int_costs_allocated') }}
    where customer_id is null

),

pools as (

    select * from {{ ref('int_cost_pools') }}

),

quarantined as (

    select * from {{ ref('int_quarantined_charges_converted') }}
    where {{ cost_per_customer.in_days_to_process('cost_date', undated=true) }}

),

from_allocation as (

    select
        ledger.cost_date,
        ledger.pool_id,
        ledger.unattributed_reason as reason,
        pools.rule_name,
        pools.service_name,
        pools.service_category,
        pools.cost_category,
        pools.region_id,
        pools.billing_account_id,
        pools.charge_category,
        pools.surcharge_name,
        ledger.currency,
        cast(0 as bigint) as quarantined_row_count,
        ledger.allocated_cost as unattributed_cost

    from ledger
    inner join pools
        on ledger.pool_id = pools.pool_id

),

from_quarantine as (

    select
        quarantined.cost_date,
        {{ cost_per_customer.hash_key([
            "'quarantine'", 'quarantined.source_file', 'quarantined.cost_date', 'quarantined.billing_currency'
        ]) }} as pool_id,
        'quarantined_input' as reason,
        cast(null as {{ dbt.type_string() }}) as rule_name,
        cast(null as {{ dbt.type_string() }}) as service_name,
        cast(null as {{ dbt.type_string() }}) as service_category,
        'other' as cost_category,
        cast(null as {{ dbt.type_string() }}) as region_id,
        cast(null as {{ dbt.type_string() }}) as billing_account_id,
        cast(null as {{ dbt.type_string() }}) as charge_category,
        cast(null as {{ dbt.type_string() }}) as surcharge_name,
        '{{ cost_per_customer.reporting_currency() }}' as currency,
        count(*) as quarantined_row_count,
        cast(
            coalesce(sum(quarantined.effective_cost_in_reporting_currency), 0) as {{ cost_per_customer.money_type() }}
        ) as unattributed_cost

    from quarantined
    group by quarantined.cost_date, quarantined.source_file, quarantined.billing_currency

),

unioned as (

    select * from from_allocation
    union all
    select * from from_quarantine

)

select * from unioned
