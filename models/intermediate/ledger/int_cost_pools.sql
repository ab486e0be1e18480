{#- Cost pools: the day's candidates one rule splits the same way, and the day's support tickets per tier. -#}
{%- set following_rules = cost_per_customer.cost_following_rules() -%}
{%- set pool_columns = [
    'pool_id', 'cost_date', 'billing_currency', 'billing_account_id', 'service_name', 'service_category',
    'cost_category', 'region_id', 'charge_category', 'rule_position', 'rule_name', 'rule_version', 'allocation_method',
    'driver_metric', 'driver_level', 'driver_value', 'pool_customer_tag', 'unattributed_reason', 'surcharge_name',
    'driver_service',
] -%}
{{ config(**cost_per_customer.day_ledger_config()) }}
with

candidates as (

    select * from {{ ref('int_cost_candidates') }}

),

pooled as (

    select
        {%- for column in pool_columns %}
        candidates.{{ column }},
        {%- endfor %}
        sum(candidates.effective_cost) as pool_cost,
        {%- for rule in following_rules %}
        sum(case when candidates.is_cost_basis and candidates.{{ cost_per_customer.rule_basis_column(rule) }}
            then candidates.effective_cost else 0 end) as basis_cost_rule_{{ rule.position }},
        {%- endfor %}
        sum(candidates.billed_cost) as billed_cost,
        sum(candidates.list_cost) as list_cost,
        sum(candidates.charge_day_count) as charge_day_count,
        count(*) as candidate_count

    from candidates
    group by
        {%- for column in pool_columns %}
        candidates.{{ column }}{{ "," if not loop.last }}
        {%- endfor %}

),

support_tickets as (

    select * from {{ ref('int_support_costs') }}
    where is_priced
        and {{ cost_per_customer.in_days_to_process('cost_date') }}

),

support_pools as (

    select
        {{ cost_per_customer.hash_key([
            "'support'", 'support_tickets.cost_date', 'support_tickets.currency', 'support_tickets.agent_tier'
        ]) }} as pool_id,
        support_tickets.cost_date,
        support_tickets.currency as billing_currency,
        cast(null as {{ dbt.type_string() }}) as billing_account_id,
        'Customer support' as service_name,
        'Support' as service_category,
        'support' as cost_category,
        cast(null as {{ dbt.type_string() }}) as region_id,
        {{ cost_per_customer.support_charge_category() }} as charge_category,
        cast(null as integer) as rule_position,
        'support-tickets' as rule_name,
        cast(null as {{ dbt.type_string() }}) as rule_version,
        'direct' as allocation_method,
        'handle_minutes' as driver_metric,
        'agent_tier' as driver_level,
        support_tickets.agent_tier as driver_value,
        cast(null as {{ dbt.type_string() }}) as pool_customer_tag,
        cast(null as {{ dbt.type_string() }}) as unattributed_reason,
        cast(null as {{ dbt.type_string() }}) as surcharge_name,
        cast(null as {{ dbt.type_string() }}) as driver_service,
        sum(support_tickets.support_cost) as pool_cost,
        {%- for rule in following_rules %}
        cast(0 as {{ cost_per_customer.money_type() }}) as basis_cost_rule_{{ rule.position }},
        {%- endfor %}
        cast(null as {{ cost_per_customer.money_type() }}) as billed_cost,
        cast(null as {{ cost_per_customer.money_type() }}) as list_cost,
        count(*) as charge_day_count,
        count(*) as candidate_count

    from support_tickets
    group by support_tickets.cost_date, support_tickets.currency, support_tickets.agent_tier

),

all_pools as (

    select * from pooled
    union all
    select * from support_pools

)

select * from all_pools
