{#- One row per line of a node charge, with the charge's columns and its rounded part of the amounts. -#}
{%- set money_columns = ['effective_cost', 'billed_cost', 'list_cost', 'contracted_cost'] -%}
{%- set quantity_columns = ['consumed_quantity', 'pricing_quantity'] -%}
with

charges as (

    select * from {{ ref('int_charges_deduplicated') }}
    where quarantine_reason is null and superseded_reason is null

),

lines as (

    select * from {{ ref('int_kubernetes_charge_lines') }}

),

{# Each line's part of the parent's amounts and quantities, rounded to money_type; the parent's
    amounts beside them. -#}
line_amounts as (

    select
        {%- for column in cost_per_customer.deduplicated_charge_columns() %}
        {%- if column in money_columns %}
        charges.{{ column }} as parent_{{ column }},
        {{ cost_per_customer.scale_money('charges.' ~ column, 'lines.share') }} as rounded_{{ column }},
        {%- elif column in quantity_columns %}
        {{ cost_per_customer.scale_money('charges.' ~ column, 'lines.share') }} as {{ column }},
        {%- elif column not in ['charge_id', 'direct_customer_id', 'parent_charge_id'] %}
        charges.{{ column }},
        {%- endif %}
        {%- endfor %}
        lines.*

    from lines
    inner join charges
        on lines.parent_charge_id = charges.charge_id

),

{# The line with the largest share (then the first id) takes each amount's rounding remainder, so
    the lines add up to the parent exactly. -#}
split_charges as (

    select
        {%- for column in cost_per_customer.deduplicated_charge_columns() %}
        {%- if column == 'charge_id' %}
        line_amounts.line_id as charge_id,
        {%- elif column in money_columns %}
        {{ cost_per_customer.largest_remainder(
            'line_amounts.rounded_' ~ column,
            'line_amounts.parent_' ~ column,
            'line_amounts.parent_charge_id',
            'line_amounts.share desc, line_amounts.line_id asc'
        ) }} as {{ column }},
        {%- elif column == 'direct_customer_id' %}
        line_amounts.customer_id as direct_customer_id,
        {%- else %}
        line_amounts.{{ column }},
        {%- endif %}
        {%- endfor %}
        line_amounts.parent_charge_id,
        line_amounts.node_id as kubernetes_node_id,
        line_amounts.node_cluster_id as kubernetes_cluster_id,
        line_amounts.namespace as kubernetes_namespace,
        line_amounts.cost_kind as kubernetes_cost_kind,
        line_amounts.customer_source as kubernetes_customer_source,
        line_amounts.share as kubernetes_share,
        line_amounts.cpu_cost_ratio as kubernetes_cpu_cost_ratio,
        line_amounts.cpu_core_hours as kubernetes_cpu_core_hours,
        line_amounts.memory_gib_hours as kubernetes_memory_gib_hours,
        line_amounts.direct_unattributed_reason

    from line_amounts

)

select * from split_charges
