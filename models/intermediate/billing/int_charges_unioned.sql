{{ config(materialized="view") }}
{#- One row per landed billing row of every format (FOCUS, AWS CUR, Azure, GCP, OCI), each already
    normalized by its staging model to the billing charge contract. Nothing is filtered here. -#}
{%- set columns = cost_per_customer.billing_charge_columns() -%}
with

{% for model in cost_per_customer.billing_staging_models() -%}
{{ model }} as (

    select * from {{ ref(model) }}

),

{% endfor -%}
unioned as (

    {%- for model in cost_per_customer.billing_staging_models() %}
    select
        {%- for column in columns %}
        {{ model }}.{{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ model }}
    {{ "union all" if not loop.last }}
    {%- endfor %}

)

select * from unioned
