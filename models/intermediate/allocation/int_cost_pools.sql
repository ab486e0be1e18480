{#- One row per cost pool per day: the charges one rule splits the same way (same rule, service,
    region, billing account, charge category, currency, and driver — a usage metric at resource,
    region or service level — or customer tag for tag rules), or, for cost no rule places, the
    charges left unattributed for the same reason. pool_cost is what the pool moves; basis_cost is the
    part that proportional_to_cost rules may follow. -#}
{%- set pool_columns = [
    'cost_date', 'billing_currency', 'billing_account_id', 'service_name', 'service_category',
    'region_id', 'charge_category', 'rule_position', 'rule_name', 'allocation_method', 'driver_metric',
    'driver_level', 'driver_value', 'pool_customer_tag', 'unattributed_reason',
] -%}
with

candidates as (

    select * from {{ ref('int_cost_candidates') }}

),

keyed as (

    select
        candidates.*,
        case when candidates.allocation_method = 'tag' then candidates.customer_tag end as pool_customer_tag

    from candidates

),

pooled as (

    select
        {%- for column in pool_columns %}
        keyed.{{ column }},
        {%- endfor %}
        sum(keyed.effective_cost) as pool_cost,
        sum(case when keyed.is_cost_basis then keyed.effective_cost else 0 end) as basis_cost,
        sum(keyed.billed_cost) as billed_cost,
        sum(keyed.list_cost) as list_cost,
        sum(keyed.charge_day_count) as charge_day_count

    from keyed
    group by
        {%- for column in pool_columns %}
        keyed.{{ column }}{{ "," if not loop.last }}
        {%- endfor %}

),

identified as (

    select
        {{ cost_per_customer.hash_key(pool_columns) }} as pool_id,
        pooled.*

    from pooled

)

select * from identified
