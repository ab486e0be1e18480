{#- One row per day with an input to allocate: a fingerprint of each input that decides the day's allocation. -#}
{#- Each day input: the CTEs below that hold its rows, each with the columns fingerprinted; an input
    of several would join their fingerprints. A charge counts by every column, with the day's rate
    of its currency, but: its delivery time (a file delivered again unchanged moves no day), its
    parsed tag map (its text `tags` is there), and the floating-point measures of a Kubernetes
    split line (share, hours: sums whose last bits vary with their order from build to build; no
    charge-day or rule reads them, and the line's amounts count). The surcharges derived from the
    charges are not read: they follow from a charge and the surcharges in effect (rules_fingerprint),
    and int_surcharges derives them again for the days this fingerprint finds changed. -#}
{%- set unfingerprinted = ['delivered_at', 'tags_map'] -%}
{%- for column, column_type in cost_per_customer.kubernetes_split_columns() if column_type == 'double' -%}
    {%- do unfingerprinted.append(column) -%}
{%- endfor -%}
{%- set charge_columns = cost_per_customer.relation_columns(
    ref('int_charges_allocatable'), 'charge_days_rated', exclude=unfingerprinted
) + ['charge_days_rated.fx_rate', 'charge_days_rated.fx_rate_date'] -%}
{%- set day_inputs = {
    'charges': {'charge_days_rated': charge_columns},
    'usage': {'usage_rows': cost_per_customer.relation_columns(ref('int_usage_driver_rows'), 'usage_rows')},
    'recipients': {'recipients': cost_per_customer.relation_columns(ref('int_rule_recipients_daily'), 'recipients')},
    'support': {'support_costs': cost_per_customer.relation_columns(ref('int_support_costs'), 'support_costs')},
    'quarantine': {'quarantined': cost_per_customer.relation_columns(ref('int_quarantined_charges_converted'), 'quarantined')},
} -%}
{%- set source_columns = {} -%}
{%- for sources in day_inputs.values() %}{% do source_columns.update(sources) %}{% endfor -%}
with

charges as (

    select * from {{ ref('int_charges_allocatable') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_daily') }}

),

{# Each charge on every day it touches, with that day's rate of its currency:
    what int_charges_prorated makes of the day and the rules of int_charge_days_matched read (the
    rules themselves count by the days they are in effect, rules_fingerprint). The charge-days
    themselves are kept day by day, so they are not read here. -#}
charge_days as (

    select
        charges.*,
        {{ cost_per_customer.explode_days('charges.charge_period_start_at', 'charges.charge_period_end_at') }} as cost_date

    from charges

),

charge_days_rated as (

    select
        charge_days.*,
        fx_rates.fx_rate,
        fx_rates.rate_date as fx_rate_date

    from charge_days
    left join fx_rates
        on charge_days.billing_currency = fx_rates.currency
        and charge_days.cost_date = fx_rates.cost_date

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
