{#- One row per charge-day with the allocation rules it matches and the candidate it belongs to. -#}
{%- set rules = cost_per_customer.allocation_rules() -%}
{%- set following_rules = cost_per_customer.cost_following_rules() -%}
{%- set charge_day_columns = ['cost_date'] + cost_per_customer.candidate_columns() -%}
{%- set candidate_key = ['matched.cost_date'] -%}
{%- for column in cost_per_customer.candidate_columns() %}{% do candidate_key.append('matched.' ~ column) %}{% endfor -%}
{%- for rule in rules %}{% do candidate_key.append('matched.' ~ cost_per_customer.rule_match_column(rule)) %}{% endfor -%}
{%- for rule in following_rules %}{% do candidate_key.append('matched.' ~ cost_per_customer.rule_basis_column(rule)) %}{% endfor -%}
with

charge_days as (

    select * from {{ ref('int_charges_prorated') }}

),

charges as (

    select * from {{ ref('int_charges_with_surcharges') }}

),

{# The whole charge (its own currency and amounts, its tags) on each of its days: what the
    predicates read, with cost_date for `charge_date`. -#}
days as (

    select
        charges.*,
        {{- cost_per_customer.rule_tag_columns('charges.tags_map') }}
        charge_days.cost_date

    from charge_days
    inner join charges
        on charge_days.charge_id = charges.charge_id

),

{# Which rules the charge-day satisfies (predicates see the charge's columns and cost_date). -#}
matched as (

    select
        days.*,
        {%- for rule in following_rules %}
        coalesce({{ rule.basis_sql or 'true' }}, false) as {{ cost_per_customer.rule_basis_column(rule) }},
        {%- endfor %}
        {%- for rule in rules %}
        coalesce({{ rule.match_sql }}, false) as {{ cost_per_customer.rule_match_column(rule) }}{{ "," if not loop.last }}
        {%- endfor %}

    from days

),

{# Charge-days alike in the candidate columns (the charge's own currency among them) and in their
    rule matches share a candidate_id. -#}
keyed as (

    select
        matched.charge_id,
        matched.cost_date,
        {%- for rule in rules %}
        matched.{{ cost_per_customer.rule_match_column(rule) }},
        {%- endfor %}
        {%- for rule in following_rules %}
        matched.{{ cost_per_customer.rule_basis_column(rule) }},
        {%- endfor %}
        {{ cost_per_customer.hash_key(candidate_key) }} as candidate_id

    from matched

),

charge_days_matched as (

    select
        keyed.candidate_id,
        charge_days.charge_id,
        {%- for column in charge_day_columns %}
        charge_days.{{ column }},
        {%- endfor %}
        charge_days.effective_cost,
        charge_days.billed_cost,
        charge_days.list_cost,
        {%- for rule in rules %}
        keyed.{{ cost_per_customer.rule_match_column(rule) }}{{ "," if not loop.last or following_rules }}
        {%- endfor %}
        {%- for rule in following_rules %}
        keyed.{{ cost_per_customer.rule_basis_column(rule) }}{{ "," if not loop.last }}
        {%- endfor %}

    from charge_days
    inner join keyed
        on charge_days.charge_id = keyed.charge_id
        and charge_days.cost_date = keyed.cost_date

)

select * from charge_days_matched
