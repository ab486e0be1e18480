{#- One row per good charge (neither quarantined nor superseded) after the Kubernetes split: a node
    charge that int_kubernetes_node_charges_split split is replaced by its children (workloads and
    idle, adding up exactly to it); every other good charge passes through unchanged, with
    parent_charge_id = charge_id and the kubernetes_* columns NULL. Same columns as
    int_charges_deduplicated, then kubernetes_split_columns(). A view: allocation reads it once. -#}
{{ config(materialized='view') }}
{%- set split_columns = cost_per_customer.kubernetes_split_columns() -%}
with

charges as (

    select * from {{ ref('int_charges_deduplicated') }}
    where quarantine_reason is null and superseded_reason is null

),

split_charges as (

    select * from {{ ref('int_kubernetes_node_charges_split') }}

),

split_parents as (

    select distinct split_charges.parent_charge_id
    from split_charges

),

passed_through as (

    select
        {%- for column in cost_per_customer.deduplicated_charge_columns() %}
        charges.{{ column }},
        {%- endfor %}
        {%- for column, column_type in split_columns %}
        {%- if column == 'parent_charge_id' %}
        charges.charge_id as parent_charge_id{{ "," if not loop.last }}
        {%- else %}
        cast(null as {{ column_type }}) as {{ column }}{{ "," if not loop.last }}
        {%- endif %}
        {%- endfor %}

    from charges
    left join split_parents
        on charges.charge_id = split_parents.parent_charge_id
    where split_parents.parent_charge_id is null

),

unioned as (

    select * from passed_through

    union all

    select
        {%- for column in cost_per_customer.deduplicated_charge_columns() %}
        split_charges.{{ column }},
        {%- endfor %}
        {%- for column, column_type in split_columns %}
        split_charges.{{ column }}{{ "," if not loop.last }}
        {%- endfor %}

    from split_charges

)

select * from unioned
