{#- One row per allocation candidate with the rule that places it, or the reason none does, and the cost pool it joins. -#}
{%- set rules = cost_per_customer.allocation_rules() -%}
{%- set following_rules = cost_per_customer.cost_following_rules() -%}
{%- set has_tag_rule = rules | selectattr('method', 'equalto', 'tag') | list | length > 0 -%}
{%- set group_columns = ['cost_date'] + cost_per_customer.candidate_columns() -%}
{%- set pool_columns = [
    'resolved.cost_date', 'resolved.billing_currency', 'resolved.billing_account_id', 'resolved.service_name',
    'resolved.service_category', 'resolved.cost_category', 'resolved.region_id', 'resolved.charge_category', 'resolved.rule_position',
    'resolved.allocation_method', 'resolved.driver_metric', 'resolved.driver_level', 'resolved.driver_value',
    'resolved.pool_customer_tag', 'resolved.unattributed_reason', 'resolved.surcharge_name', 'resolved.driver_service',
] -%}
with

candidates as (

    select * from {{ ref('int_cost_candidates_grouped') }}

),

winning_rules as (

    select * from {{ ref('int_candidate_winning_rules') }}

),

{# A candidate no rule places gets the reason: the one its charges state, else unused commitment,
    else a usage rule without usage, else (with a tag rule) no customer tag, else no rule. -#}
resolved as (

    select
        candidates.candidate_id,
        {%- for column in group_columns %}
        candidates.{{ column }},
        {%- endfor %}
        {%- for rule in following_rules %}
        candidates.{{ cost_per_customer.rule_basis_column(rule) }},
        {%- endfor %}
        candidates.effective_cost,
        candidates.billed_cost,
        candidates.list_cost,
        candidates.charge_day_count,
        winning_rules.rule_position,
        winning_rules.rule_name,
        winning_rules.rule_version,
        winning_rules.allocation_method,
        winning_rules.driver_metric,
        winning_rules.driver_level,
        winning_rules.driver_value,
        case when winning_rules.allocation_method = 'usage' then winning_rules.driver_service end as driver_service,
        case
            when winning_rules.allocation_method = 'tag' then candidates.customer_tag
            when winning_rules.allocation_method = 'direct' then candidates.direct_customer_id
        end as pool_customer_tag,
        winning_rules.is_cost_basis,
        case
            when candidates.direct_unattributed_reason is not null then candidates.direct_unattributed_reason
            when winning_rules.rule_position is not null then null
            when candidates.is_unused_commitment then 'unused_commitment'
            when winning_rules.has_usage_rule then 'no_usage_driver'
            {%- if has_tag_rule %}
            when candidates.customer_tag is null then 'untagged'
            {%- endif %}
            else 'no_rule'
        end as unattributed_reason

    from candidates
    inner join winning_rules
        on candidates.candidate_id = winning_rules.candidate_id

),

pooled as (

    select
        {{ cost_per_customer.hash_key(pool_columns) }} as pool_id,
        resolved.*

    from resolved

)

select * from pooled
