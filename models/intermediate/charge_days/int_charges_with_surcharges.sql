{#- One row per charge to allocate: the bill's good charges after the Kubernetes split, then the surcharges derived from them. -#}
{{ config(materialized='view') }}
{%- set charge_columns = cost_per_customer.deduplicated_charge_columns() -%}
{%- for column, column_type in cost_per_customer.kubernetes_split_columns() %}{% do charge_columns.append(column) %}{% endfor -%}
with

split_charges as (

    select * from {{ ref('int_charges_allocatable') }}

),

surcharges as (

    select * from {{ ref('int_surcharges') }}

),

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

)

select * from charges
