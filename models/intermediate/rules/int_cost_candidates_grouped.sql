{#- One row per allocation candidate: the charge-days of one day that every rule treats alike, their amounts summed. -#}
{%- set rules = cost_per_customer.allocation_rules() -%}
{%- set following_rules = cost_per_customer.cost_following_rules() -%}
{%- set group_columns = ['cost_date'] + cost_per_customer.candidate_columns() -%}
with

charge_days as (

    select * from {{ ref('int_charge_days_matched') }}
    where {{ cost_per_customer.in_days_to_process('cost_date') }}

),

{# cost_category and direct_customer_id follow from the candidate's other attributes (the FOCUS
    ServiceCategory for cloud bills; the cost_id, as resource_id, for other costs), so grouping by
    them never splits a candidate_id. Candidates whose EffectiveCost is zero move no money and are
    left out. -#}
candidates as (

    select
        charge_days.candidate_id,
        {%- for column in group_columns %}
        charge_days.{{ column }},
        {%- endfor %}
        {%- for rule in rules %}
        charge_days.{{ cost_per_customer.rule_match_column(rule) }},
        {%- endfor %}
        {%- for rule in following_rules %}
        charge_days.{{ cost_per_customer.rule_basis_column(rule) }},
        {%- endfor %}
        sum(charge_days.effective_cost) as effective_cost,
        sum(charge_days.billed_cost) as billed_cost,
        sum(charge_days.list_cost) as list_cost,
        count(*) as charge_day_count

    from charge_days
    group by
        charge_days.candidate_id,
        {%- for column in group_columns %}
        charge_days.{{ column }},
        {%- endfor %}
        {%- for rule in rules %}
        charge_days.{{ cost_per_customer.rule_match_column(rule) }}{{ "," if not loop.last or following_rules }}
        {%- endfor %}
        {%- for rule in following_rules %}
        charge_days.{{ cost_per_customer.rule_basis_column(rule) }}{{ "," if not loop.last }}
        {%- endfor %}
    having sum(charge_days.effective_cost) <> 0

)

select * from candidates
