{#- One row per day with an input to allocate: a fingerprint of each input that decides the day's allocation. -#}
{#- Each day input: the CTEs below that hold its rows, each with the columns fingerprinted (none: the
    CTE holds row counts and hash sums already summed in parts, row_count and row_hash_sum); an
    input of several would join their fingerprints. A charge counts by every column, with the day's rate
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
    'usage': {'usage_days': none},
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

{# The good telemetry rows behind the usage drivers and their split by feature
    (int_usage_drivers_daily and int_usage_driver_features_daily sum them, for the days to process
    only), summed per file, customer and day: every column of each row, so a relabelled feature
    moves the day too. Which known customer a row names follows from its customer id and the known
    customers, which count for every day. -#}
usage_days as (

    select
        usage_days.usage_date as cost_date,
        usage_days.row_count,
        usage_days.row_hash_sum

    from {{ ref('int_usage_customer_days_summed') }} as usage_days

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
        {%- if columns is none %}
        {{ cost_per_customer.fingerprint_of_sums('sum(' ~ source ~ '.row_count)', 'sum(' ~ source ~ '.row_hash_sum)') }} as fingerprint
        {%- else %}
        {{ cost_per_customer.fingerprint_rows(columns) }} as fingerprint
        {%- endif %}

    from {{ source }}
    where {{ source }}.cost_date is not null
    group by {{ source }}.cost_date

),
{%- endfor %}

{# Tags, direct placements and telemetry name customers on any day: the set of known ids, as
    customers.csv writes them (the ledger's ids), counts for every day. -#}
known_customers as (

    select {{ cost_per_customer.fingerprint_rows(['customers.customer_id']) }} as customers_fingerprint
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
