{#- One row per charge-day with the allocation rules it matches and the candidate it belongs to. -#}
{%- set rules = cost_per_customer.allocation_rules() -%}
{%- set following_rules = cost_per_customer.cost_following_rules() -%}
{%- set day_amounts = ['effective_cost', 'billed_cost', 'list_cost'] -%}
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
    predicates read, with cost_date for `charge_date`. The day's own amounts and currency ride
    along under day_ names, out of the predicates' reach. -#}
days as (

    select
        charges.*,
        {{- cost_per_customer.rule_tag_columns('charges.tags_map') }}
        charge_days.cost_date,
        charge_days.billing_currency as day_billing_currency,
        {%- for amount in day_amounts %}
        charge_days.{{ amount }} as day_{{ amount }}{{ "," if not loop.last }}
        {%- endfor %}

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
    rule matches share a candidate_id; from here on the amounts are the day's, in the reporting
    currency. -#}
charge_days_matched as (

    select
        {{ cost_per_customer.hash_key(candidate_key) }} as candidate_id,
        matched.charge_id,
        matched.cost_date,
        matched.day_billing_currency as billing_currency,
        {%- for column in cost_per_customer.candidate_columns() if column != 'billing_currency' %}
        matched.{{ column }},
        {%- endfor %}
        {%- for amount in day_amounts %}
        matched.day_{{ amount }} as {{ amount }},
        {%- endfor %}
        {%- for rule in rules %}
        matched.{{ cost_per_customer.rule_match_column(rule) }}{{ "," if not loop.last or following_rules }}
        {%- endfor %}
        {%- for rule in following_rules %}
        matched.{{ cost_per_customer.rule_basis_column(rule) }}{{ "," if not loop.last }}
        {%- endfor %}

    from matched

)

select * from charge_days_matched
