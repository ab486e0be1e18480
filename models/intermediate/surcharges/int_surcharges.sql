{#- One row per charge and surcharge that applies to it; see _surcharges__models.yml. Kept by
    charge where rows can be deleted (DuckDB): an incremental build derives again only the charges
    touching the days it allocates (a charge's surcharges follow from the charge and the
    surcharges in effect, both of which decide which days are allocated), after its pre-hook
    removed their rows. -#}
{{ config(
    materialized=cost_per_customer.kept_by_delete_materialization(),
    pre_hook="{{ cost_per_customer.clear_charges_touching_days_to_process() }}",
    on_schema_change='fail',
) }}
{%- set surcharges = cost_per_customer.surcharges() -%}
{#- Only the tags the surcharges read: editing the rules must not change how charges are surcharged. -#}
{%- set tag_keys = [] -%}
{%- for surcharge in surcharges %}{% for tag in surcharge.get('tag_keys', []) %}{% if tag not in tag_keys %}{% do tag_keys.append(tag) %}{% endif %}{% endfor %}{% endfor -%}
{%- set split_columns = cost_per_customer.kubernetes_split_columns() -%}
{%- set amounts = ['effective_cost', 'billed_cost', 'list_cost'] -%}
-- depends_on: {{ ref('int_days_to_process') }}
with

charges as (

    select * from {{ ref('int_charges_allocatable') }}
    {%- if cost_per_customer.is_incremental_introspected() %}
    where {{ cost_per_customer.touches_days_to_process('charge_period_start_at', 'charge_period_end_at') }}
    {%- endif %}

),

with_rule_tags as (

    select
        charges.*,
        {{- cost_per_customer.rule_tag_columns('charges.tags_map', tag_keys) }}
        cast(charges.charge_period_start_at as date) as charge_start_date

    from charges

),

{# Each charge once per surcharge that matches it, with the surcharge's rate for its region. -#}
matched as (

    {%- for surcharge in surcharges %}
    select
        with_rule_tags.*,
        {{ cost_per_customer.text_literal(surcharge.name) }} as surcharge_name,
        {{ cost_per_customer.text_literal(surcharge.category) }} as surcharge_category,
        {{ cost_per_customer.surcharge_rate(surcharge, 'with_rule_tags.region_id') }} as surcharge_rate

    from with_rule_tags
    where coalesce({{ surcharge.match_sql }}, false)
        and {{ cost_per_customer.rule_in_effect(surcharge, 'with_rule_tags.charge_start_date') }}
    union all
    {%- endfor %}
    select
        with_rule_tags.*,
        cast(null as {{ dbt.type_string() }}) as surcharge_name,
        cast(null as {{ dbt.type_string() }}) as surcharge_category,
        cast(null as double) as surcharge_rate

    from with_rule_tags
    where 1 = 0

),

surcharged as (

    select
        {%- for column in cost_per_customer.deduplicated_charge_columns() %}
        {%- if column == 'charge_id' %}
        concat(matched.charge_id, '+', matched.surcharge_name) as charge_id,
        {%- elif column == 'pool_name' %}
        matched.surcharge_name as pool_name,
        {%- elif column == 'delivered_at' %}
        {#- Derived by the build, not delivered: no delivery time (a charge's changes with every
            delivery of its file, which does not change the charge's days). #}
        cast(null as {{ dbt.type_timestamp() }}) as delivered_at,
        {%- elif column == 'cost_category' %}
        coalesce(matched.surcharge_category, matched.cost_category) as cost_category,
        {%- elif column in amounts %}
        {{ cost_per_customer.convert_money('matched.' ~ column, 'matched.surcharge_rate') }} as {{ column }},
        {%- else %}
        matched.{{ column }},
        {%- endif %}
        {%- endfor %}
        {%- for column, column_type in split_columns %}
        matched.{{ column }},
        {%- endfor %}
        matched.surcharge_name,
        matched.surcharge_rate,
        matched.charge_id as surcharged_charge_id

    from matched
    where matched.surcharge_rate is not null

)

select * from surcharged
