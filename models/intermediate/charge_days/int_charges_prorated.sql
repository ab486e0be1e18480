{#- One row per charge to allocate per UTC day it touches, its amounts prorated and converted to the
    reporting currency. Kept day by day (day_ledger_config): a build prorates again only the charges
    touching the days it allocates, and writes only those days. -#}
{{ config(**cost_per_customer.day_ledger_config()) }}
{%- set carried = [
    'charge_id', 'billing_account_id', 'sub_account_id', 'service_name',
    'service_category', 'region_id', 'resource_id', 'charge_category', 'commitment_discount_status',
    'customer_tag', 'is_unused_commitment', 'charge_period_start_at', 'charge_period_end_at', 'cost_category', 'direct_customer_id',
    'parent_charge_id', 'direct_unattributed_reason', 'surcharge_name',
] -%}
{%- set amounts = ['effective_cost', 'billed_cost', 'list_cost'] -%}
with

charges as (

    select * from {{ ref('int_charges_with_surcharges') }}
    where {{ cost_per_customer.touches_days_to_process('charge_period_start_at', 'charge_period_end_at') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_daily') }}

),

with_last_day as (

    select
        charges.*,
        {{ cost_per_customer.period_last_day('charges.charge_period_start_at', 'charges.charge_period_end_at') }} as period_last_date

    from charges

),

every_day as (

    select
        with_last_day.*,
        {{ cost_per_customer.explode_days('with_last_day.charge_period_start_at', 'with_last_day.charge_period_end_at') }} as cost_date

    from with_last_day

),

{# Only the days this build allocates (every day on a full build). -#}
days as (

    select * from every_day
    where {{ cost_per_customer.in_days_to_process('every_day.cost_date') }}

),

{# How far through the charge period the day begins and ends, as fractions of its duration. -#}
fractions as (

    select
        days.*,
        case
            when days.cost_date = cast(days.charge_period_start_at as date) then 0.0
            else cast({{ cost_per_customer.seconds_between(
                'days.charge_period_start_at', cost_per_customer.day_start('days.cost_date')
            ) }} as double)
                / cast({{ cost_per_customer.seconds_between('days.charge_period_start_at', 'days.charge_period_end_at') }} as double)
        end as fraction_before_day,
        case
            when days.cost_date = days.period_last_date then 1.0
            else cast({{ cost_per_customer.seconds_between(
                'days.charge_period_start_at', cost_per_customer.day_start('days.cost_date', 1)
            ) }} as double)
                / cast({{ cost_per_customer.seconds_between('days.charge_period_start_at', 'days.charge_period_end_at') }} as double)
        end as fraction_through_day

    from days

),

{# Each day gets the rounded amount accrued by its end minus that accrued by its start, so the days
    telescope to exactly the charge (the whole amount at fraction 1, nothing at 0). -#}
prorated as (

    select
        fractions.cost_date,
        {%- for column in carried %}
        fractions.{{ column }},
        {%- endfor %}
        fractions.billing_currency as source_currency,
        {%- for column in amounts %}
        cast(
            {{ cost_per_customer.accrued_money('fractions.' ~ column, 'fractions.fraction_through_day') }}
            - {{ cost_per_customer.accrued_money('fractions.' ~ column, 'fractions.fraction_before_day') }}
        as {{ cost_per_customer.money_type() }}) as {{ column }}_in_source_currency{{ "," if not loop.last }}
        {%- endfor %}

    from fractions

),

{# The day's rate of the charge's currency (1 for the reporting currency). -#}
rated as (

    select
        prorated.*,
        {{ cost_per_customer.fx_rate_or_one('prorated.source_currency', 'fx_rates.fx_rate') }} as fx_rate,
        fx_rates.rate_date as fx_rate_date

    from prorated
    left join fx_rates
        on prorated.source_currency = fx_rates.currency
        and prorated.cost_date = fx_rates.cost_date

),

{# The day's amounts in the reporting currency (rounded to money_type's scale), the charge's own beside. -#}
converted as (

    select
        rated.cost_date,
        {%- for column in carried %}
        rated.{{ column }},
        {%- endfor %}
        '{{ cost_per_customer.reporting_currency() }}' as billing_currency,
        {%- for column in amounts %}
        {{ cost_per_customer.convert_money('rated.' ~ column ~ '_in_source_currency', 'rated.fx_rate') }} as {{ column }},
        {%- endfor %}
        rated.source_currency,
        {%- for column in amounts %}
        rated.{{ column }}_in_source_currency,
        {%- endfor %}
        rated.fx_rate,
        rated.fx_rate_date

    from rated

)

select * from converted
