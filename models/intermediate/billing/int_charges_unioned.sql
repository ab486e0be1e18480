{#- One row per landed billing row of every format, nothing filtered; see _billing__models.yml. -#}
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
