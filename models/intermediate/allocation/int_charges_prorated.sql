{#- One row per good charge (and surcharge, int_surcharges) per UTC day it touches, with the day's share of its costs (by overlap
    duration with [ChargePeriodStart, ChargePeriodEnd)), and, per allocation rule, whether the
    charge-day satisfies the rule's `match` (and, for proportional_to_cost rules, its `basis`).
    Predicates may read tags (`tag('team')`, as tag__<key> columns) and the day (`charge_date`).
    A charge's days add up exactly to the charge in its own currency (the *_in_source_currency
    columns); a zero-length charge stays whole on its start day. Each day's amounts are then
    converted to the reporting currency at that day's rate (int_fx_rates_daily; the reporting
    currency at 1), rounded to money_type's scale: effective_cost, billed_cost and list_cost and
    billing_currency are in the reporting currency from here on. A day without a usable rate keeps
    its row with NULL converted amounts (assert_charges_have_fx_rates fails the build). -#}
{%- set rules = cost_per_customer.allocation_rules() -%}
{%- set following_rules = cost_per_customer.cost_following_rules() -%}
{%- set carried = [
    'charge_id', 'billing_account_id', 'sub_account_id', 'service_name',
    'service_category', 'region_id', 'resource_id', 'charge_category', 'commitment_discount_status',
    'customer_tag', 'is_unused_commitment', 'charge_period_start_at', 'charge_period_end_at', 'cost_category', 'direct_customer_id',
    'parent_charge_id', 'direct_unattributed_reason', 'surcharge_name',
] -%}
{%- set amounts = ['effective_cost', 'billed_cost', 'list_cost'] -%}
{%- set charge_columns = cost_per_customer.deduplicated_charge_columns() -%}
{%- for column, column_type in cost_per_customer.kubernetes_split_columns() %}{% do charge_columns.append(column) %}{% endfor -%}
{%- set candidate_key = ['matched.cost_date'] -%}
{%- for column in cost_per_customer.candidate_columns() %}{% do candidate_key.append('matched.' ~ column) %}{% endfor -%}
{%- for rule in rules %}{% do candidate_key.append('matched.' ~ cost_per_customer.rule_match_column(rule)) %}{% endfor -%}
{%- for rule in following_rules %}{% do candidate_key.append('matched.' ~ cost_per_customer.rule_basis_column(rule)) %}{% endfor -%}
with

split_charges as (

    select * from {{ ref('int_charges_allocatable') }}

),

surcharges as (

    select * from {{ ref('int_surcharges') }}

),

{# The charges to allocate: the bill's (after the Kubernetes split) and the surcharges derived
    from them (surcharge_name set). -#}
charges as (

    select
        {%- for column in charge_columns %}
        split_charges.{{ column }},
        {%- endfor %}
        cast(null as {{ dbt.type_string() }}) as surcharge_name

    from split_charges

    union all

    select
        {%- for column in charge_columns %}
        surcharges.{{ column }},
        {%- endfor %}
        surcharges.surcharge_name

    from surcharges

),

fx_rates as (

    select * from {{ ref('int_fx_rates_daily') }}

),

with_rule_tags as (

    select
        charges.*,
        {{- cost_per_customer.rule_tag_columns('charges.tags_map') }}
        {{ cost_per_customer.period_last_day('charges.charge_period_start_at', 'charges.charge_period_end_at') }} as period_last_date

    from charges

),

days as (

    select
        with_rule_tags.*,
        {{ cost_per_customer.explode_days('with_rule_tags.charge_period_start_at', 'with_rule_tags.charge_period_end_at') }} as cost_date

    from with_rule_tags

),

{# How far through the charge period the day begins and ends, as fractions of its duration, and
    which rules the charge-day satisfies (predicates see the charge's columns and cost_date). -#}
matched as (

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
        end as fraction_through_day,
        {%- for rule in following_rules %}
        coalesce({{ rule.basis_sql or 'true' }}, false) as {{ cost_per_customer.rule_basis_column(rule) }},
        {%- endfor %}
        {%- for rule in rules %}
        coalesce({{ rule.match_sql }}, false) as {{ cost_per_customer.rule_match_column(rule) }}{{ "," if not loop.last }}
        {%- endfor %}

    from days

),

{# Each day gets the rounded amount accrued by its end minus that accrued by its start, so the days
    telescope to exactly the charge (the whole amount at fraction 1, nothing at 0). -#}
prorated as (

    select
        {{ cost_per_customer.hash_key(candidate_key) }} as candidate_id,
        matched.cost_date,
        {%- for column in carried %}
        matched.{{ column }},
        {%- endfor %}
        {%- for rule in rules %}
        matched.{{ cost_per_customer.rule_match_column(rule) }},
        {%- endfor %}
        {%- for rule in following_rules %}
        matched.{{ cost_per_customer.rule_basis_column(rule) }},
        {%- endfor %}
        matched.billing_currency as source_currency,
        {%- for column in amounts %}
        cast(
            {{ cost_per_customer.accrued_money('matched.' ~ column, 'matched.fraction_through_day') }}
            - {{ cost_per_customer.accrued_money('matched.' ~ column, 'matched.fraction_before_day') }}
        as {{ cost_per_customer.money_type() }}) as {{ column }}_in_source_currency{{ "," if not loop.last }}
        {%- endfor %}

    from matched

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
        rated.candidate_id,
        rated.cost_date,
        {%- for column in carried %}
        rated.{{ column }},
        {%- endfor %}
        {%- for rule in rules %}
        rated.{{ cost_per_customer.rule_match_column(rule) }},
        {%- endfor %}
        {%- for rule in following_rules %}
        rated.{{ cost_per_customer.rule_basis_column(rule) }},
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
