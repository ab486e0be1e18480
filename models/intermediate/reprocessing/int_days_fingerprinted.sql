{#- One row per day with an input to allocate: a fingerprint of each input that decides the day's allocation. -#}
{#- Each day input: the CTE below that holds its rows, and the columns fingerprinted. -#}
{%- set aliases = {
    'charges': 'matched', 'usage': 'usage_drivers', 'recipients': 'recipients', 'support': 'support_costs',
    'quarantine': 'quarantined',
} -%}
{%- set charge_columns = [] -%}
{%- for column in ['charge_id', 'effective_cost', 'billed_cost', 'list_cost'] + cost_per_customer.candidate_columns() + ['rules_matched'] -%}
    {%- do charge_columns.append(aliases['charges'] ~ '.' ~ column) -%}
{%- endfor -%}
{%- set day_inputs = {
    'charges': charge_columns,
    'usage': cost_per_customer.relation_columns(ref('int_usage_drivers_daily'), aliases['usage']),
    'recipients': cost_per_customer.relation_columns(ref('int_rule_recipients_daily'), aliases['recipients']),
    'support': cost_per_customer.relation_columns(ref('int_support_costs'), aliases['support']),
    'quarantine': cost_per_customer.relation_columns(ref('int_quarantined_charges_converted'), aliases['quarantine']),
} -%}
{%- set feature_columns = cost_per_customer.relation_columns(ref('int_usage_driver_features_daily'), 'usage_features') -%}
with

charge_days_matched as (

    select * from {{ ref('int_charge_days_matched') }}

),

{# The rules a charge-day matches (and the cost it is for proportional_to_cost rules), counted only
    on days the rule is in effect: a rule added from a date leaves earlier days as they were. -#}
matched as (

    select
        charge_days_matched.*,
        concat_ws(','
            {%- for rule in cost_per_customer.allocation_rules() %},
            case when charge_days_matched.{{ cost_per_customer.rule_match_column(rule) }}
                and {{ cost_per_customer.rule_in_effect(rule, 'charge_days_matched.cost_date') }} then '{{ rule.position }}' end
            {%- endfor %}
            {%- for rule in cost_per_customer.cost_following_rules() %},
            case when charge_days_matched.{{ cost_per_customer.rule_basis_column(rule) }}
                and {{ cost_per_customer.rule_in_effect(rule, 'charge_days_matched.cost_date') }} then 'basis {{ rule.position }}' end
            {%- endfor %}
        ) as rules_matched

    from charge_days_matched

),

usage_drivers as (

    select * from {{ ref('int_usage_drivers_daily') }}

),

{# The same telemetry split by feature: a feature relabelled with the quantities unchanged moves
    the day's cost by feature, not its drivers, so the usage fingerprint covers both. -#}
usage_features as (

    select * from {{ ref('int_usage_driver_features_daily') }}

),

recipients as (

    select * from {{ ref('int_rule_recipients_daily') }}

),

support_costs as (

    select * from {{ ref('int_support_costs') }}

),

{# Billing rows held back by quarantine count as unattributed cost on their day. -#}
quarantined as (

    select * from {{ ref('int_quarantined_charges_converted') }}

),

customers as (

    select * from {{ ref('stg_business__customers') }}
    where quarantine_reason is null

),

{%- for input, columns in day_inputs.items() %}

{{ input }}_by_day as (

    select
        {{ aliases[input] }}.cost_date,
        {{ cost_per_customer.fingerprint_rows(columns) }} as {{ input }}_fingerprint

    from {{ aliases[input] }}
    where {{ aliases[input] }}.cost_date is not null
    group by {{ aliases[input] }}.cost_date

),
{%- endfor %}

usage_features_by_day as (

    select
        usage_features.cost_date,
        {{ cost_per_customer.fingerprint_rows(feature_columns) }} as usage_features_fingerprint

    from usage_features
    where usage_features.cost_date is not null
    group by usage_features.cost_date

),

{# Tags and direct placements name customers on any day: the set of known ids counts for every day. -#}
known_customers as (

    select {{ cost_per_customer.fingerprint_rows(['lower(customers.customer_id)']) }} as customers_fingerprint
    from customers

),

days as (

    {%- for input in day_inputs %}
    select {{ input }}_by_day.cost_date from {{ input }}_by_day
    {{ "union" if not loop.last }}
    {%- endfor %}

),

fingerprinted as (

    select
        days.cost_date,
        {%- for input in day_inputs %}
        {%- if input == 'usage' %}
        concat(
            coalesce(usage_by_day.usage_fingerprint, 'none'), ' by feature ',
            coalesce(usage_features_by_day.usage_features_fingerprint, 'none')
        ) as usage_fingerprint,
        {%- else %}
        coalesce({{ input }}_by_day.{{ input }}_fingerprint, 'none') as {{ input }}_fingerprint,
        {%- endif %}
        {%- endfor %}
        {{ cost_per_customer.rules_in_effect_fingerprint('days.cost_date') }} as rules_fingerprint,
        known_customers.customers_fingerprint,
        '{{ cost_per_customer.settings_fingerprint() }}' as settings_fingerprint

    from days
    cross join known_customers
    {%- for input in day_inputs %}
    left join {{ input }}_by_day
        on days.cost_date = {{ input }}_by_day.cost_date
    {%- endfor %}
    left join usage_features_by_day
        on days.cost_date = usage_features_by_day.cost_date

)

select * from fingerprinted
