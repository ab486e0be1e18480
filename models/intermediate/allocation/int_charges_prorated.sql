{#- One row per good charge per UTC day it touches, with the day's share of its costs (by overlap
    duration with [ChargePeriodStart, ChargePeriodEnd)) and, per allocation rule, whether the charge
    satisfies the rule's `match`. A charge's days add up exactly to the charge. -#}
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

single_day as (

    select
        matched.*,
        cast(matched.charge_period_start_at as date) as cost_date

    from matched
    where cast(matched.charge_period_start_at as date) = matched.period_last_date

),

multi_day as (

    select
        matched.*,
        {{ cost_per_customer.explode_days('matched.charge_period_start_at', 'matched.charge_period_end_at') }} as cost_date

    from matched
    where cast(matched.charge_period_start_at as date) < matched.period_last_date

),

multi_day_weighted as (

    select
        multi_day.*,
        cast({{ cost_per_customer.seconds_between(
            'greatest(multi_day.charge_period_start_at, ' ~ cost_per_customer.day_start('multi_day.cost_date') ~ ')',
            'least(multi_day.charge_period_end_at, ' ~ cost_per_customer.day_start('multi_day.cost_date', 1) ~ ')'
        ) }} as double)
        / cast({{ cost_per_customer.seconds_between('multi_day.charge_period_start_at', 'multi_day.charge_period_end_at') }} as double)
            as day_fraction

    from multi_day

),

multi_day_split as (

    select
        multi_day_weighted.*,
        {%- for column in amounts %}
        {{ cost_per_customer.scale_money('multi_day_weighted.' ~ column, 'multi_day_weighted.day_fraction') }} as {{ column }}_piece,
        {%- endfor %}
        multi_day_weighted.cost_date = multi_day_weighted.period_last_date as is_last_day

    from multi_day_weighted

),

{#- The last day takes what the earlier days left, so the pieces add up to the charge exactly. -#}
multi_day_conserved as (

    select
        multi_day_split.*,
        {%- for column in amounts %}
        case
            when multi_day_split.is_last_day
                then multi_day_split.{{ column }}
                    - coalesce(sum(case when not multi_day_split.is_last_day then multi_day_split.{{ column }}_piece end)
                        over (partition by multi_day_split.charge_id), 0)
            else multi_day_split.{{ column }}_piece
        end as {{ column }}_prorated{{ "," if not loop.last }}
        {%- endfor %}

    from multi_day_split

),

unioned as (

    select
        single_day.cost_date,
        {%- for column in carried %}
        single_day.{{ column }},
        {%- endfor %}
        {%- for rule in rules %}
        single_day.{{ cost_per_customer.rule_match_column(rule) }},
        {%- endfor %}
        {%- for column in amounts %}
        single_day.{{ column }}{{ "," if not loop.last }}
        {%- endfor %}

    from single_day

    union all

    select
        multi_day_conserved.cost_date,
        {%- for column in carried %}
        multi_day_conserved.{{ column }},
        {%- endfor %}
        {%- for rule in rules %}
        multi_day_conserved.{{ cost_per_customer.rule_match_column(rule) }},
        {%- endfor %}
        {%- for column in amounts %}
        cast(multi_day_conserved.{{ column }}_prorated as {{ cost_per_customer.money_type() }}) as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}

    from multi_day_conserved

)

select * from unioned
