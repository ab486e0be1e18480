{#- One row per day with an input to allocate: a fingerprint of each input that decides the day's allocation. -#}
{#- Each day input: the CTEs below that hold its rows, each with the columns fingerprinted; an input
    of several would join their fingerprints. -#}
{%- set charge_columns = [] -%}
{%- for column in ['charge_id', 'effective_cost', 'billed_cost', 'list_cost'] + cost_per_customer.candidate_columns() + ['rules_matched'] -%}
    {%- do charge_columns.append('matched.' ~ column) -%}
{%- endfor -%}
{%- set day_inputs = {
    'charges': {'matched': charge_columns},
    'usage': {'usage_rows': cost_per_customer.relation_columns(ref('int_usage_driver_rows'), 'usage_rows')},
    'recipients': {'recipients': cost_per_customer.relation_columns(ref('int_rule_recipients_daily'), 'recipients')},
    'support': {'support_costs': cost_per_customer.relation_columns(ref('int_support_costs'), 'support_costs')},
    'quarantine': {'quarantined': cost_per_customer.relation_columns(ref('int_quarantined_charges_converted'), 'quarantined')},
} -%}
{%- set source_columns = {} -%}
{%- for sources in day_inputs.values() %}{% do source_columns.update(sources) %}{% endfor -%}
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

{# The telemetry rows behind the usage drivers and their split by feature (int_usage_drivers_daily
    and int_usage_driver_features_daily sum them, for the days to process only): each row with its
    known customer and feature, so a customer or a feature relabelled moves the day too. -#}
usage_rows as (

    select * from {{ ref('int_usage_driver_rows') }}

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

{%- for source, columns in source_columns.items() %}

{{ source }}_by_day as (

    select
        {{ source }}.cost_date,
        {{ cost_per_customer.fingerprint_rows(columns) }} as fingerprint

    from {{ source }}
    where {{ source }}.cost_date is not null
    group by {{ source }}.cost_date

),
{%- endfor %}

{# Tags and direct placements name customers on any day: the set of known ids counts for every day. -#}
known_customers as (

    select {{ cost_per_customer.fingerprint_rows(['lower(customers.customer_id)']) }} as customers_fingerprint
    from customers

),

days as (

    {%- for source in source_columns %}
    select {{ source }}_by_day.cost_date from {{ source }}_by_day
    {{ "union" if not loop.last }}
    {%- endfor %}

),

fingerprinted as (

    select
        days.cost_date,
        {%- for input, sources in day_inputs.items() %}
        concat_ws(' '
            {%- for source in sources %},
            coalesce({{ source }}_by_day.fingerprint, 'none')
            {%- endfor %}
        ) as {{ input }}_fingerprint,
        {%- endfor %}
        {{ cost_per_customer.rules_in_effect_fingerprint('days.cost_date') }} as rules_fingerprint,
        known_customers.customers_fingerprint,
        '{{ cost_per_customer.settings_fingerprint() }}' as settings_fingerprint

    from days
    cross join known_customers
    {%- for source in source_columns %}
    left join {{ source }}_by_day
        on days.cost_date = {{ source }}_by_day.cost_date
    {%- endfor %}

)

select * from fingerprinted
