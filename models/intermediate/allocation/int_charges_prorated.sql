{#- One row per good charge per UTC day it touches, with the day's share of its costs (by overlap
    duration with [ChargePeriodStart, ChargePeriodEnd)) and, per allocation rule, whether the charge
    satisfies the rule's `match`. A charge's days add up exactly to the charge; a zero-length charge
    stays whole on its start day. -#}
{%- set rules = cost_per_customer.allocation_rules() -%}
{%- set carried = [
    'charge_id', 'billing_currency', 'billing_account_id', 'sub_account_id', 'service_name',
    'service_category', 'region_id', 'resource_id', 'charge_category', 'commitment_discount_status',
    'customer_tag', 'is_unused_commitment', 'charge_period_start_at', 'charge_period_end_at',
] -%}
{%- set amounts = ['effective_cost', 'billed_cost', 'list_cost'] -%}
with

charges as (

    select * from {{ ref('stg_focus__charges') }}
    where quarantine_reason is null

),

matched as (

    select
        {%- for column in carried %}
        charges.{{ column }},
        {%- endfor %}
        {%- for column in amounts %}
        charges.{{ column }},
        {%- endfor %}
        {%- for rule in rules %}
        coalesce({{ rule.match_sql }}, false) as {{ cost_per_customer.rule_match_column(rule) }},
        {%- endfor %}
        {{ cost_per_customer.period_last_day('charges.charge_period_start_at', 'charges.charge_period_end_at') }} as period_last_date

    from charges

),

days as (

    select
        matched.*,
        {{ cost_per_customer.explode_days('matched.charge_period_start_at', 'matched.charge_period_end_at') }} as cost_date

    from matched

),

{#- How far through the charge period the day begins and ends, as fractions of its duration. -#}
day_bounds as (

    select
        days.*,
        case
            when days.cost_date = cast(days.charge_period_start_at as date) then 0.0
            else cast({{ cost_per_customer.seconds_between('days.charge_period_start_at', cost_per_customer.day_start('days.cost_date')) }} as double)
                / cast({{ cost_per_customer.seconds_between('days.charge_period_start_at', 'days.charge_period_end_at') }} as double)
        end as fraction_before_day,
        case
            when days.cost_date = days.period_last_date then 1.0
            else cast({{ cost_per_customer.seconds_between('days.charge_period_start_at', cost_per_customer.day_start('days.cost_date', 1)) }} as double)
                / cast({{ cost_per_customer.seconds_between('days.charge_period_start_at', 'days.charge_period_end_at') }} as double)
        end as fraction_through_day

    from days

),

{#- Each day gets the rounded amount accrued by its end minus that accrued by its start, so the days
    telescope to exactly the charge (the whole amount at fraction 1, nothing at 0). -#}
prorated as (

    select
        day_bounds.cost_date,
        {%- for column in carried %}
        day_bounds.{{ column }},
        {%- endfor %}
        {%- for rule in rules %}
        day_bounds.{{ cost_per_customer.rule_match_column(rule) }},
        {%- endfor %}
        {%- for column in amounts %}
        cast(
            {{ cost_per_customer.accrued_money('day_bounds.' ~ column, 'day_bounds.fraction_through_day') }}
            - {{ cost_per_customer.accrued_money('day_bounds.' ~ column, 'day_bounds.fraction_before_day') }}
        as {{ cost_per_customer.money_type() }}) as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}

    from day_bounds

)

select * from prorated
