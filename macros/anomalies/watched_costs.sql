{#- SQL condition: the ledger row's charge category is one the anomaly detection watches
    (cpc_anomaly_charge_categories): the cost a customer's consumption drives. Purchases, taxes,
    credits and support tickets arrive as lumps by nature and are not watched. -#}
{% macro is_watched_charge(charge_category_column) -%}
    {{ charge_category_column }} in (
        {%- for category in var('cpc_anomaly_charge_categories') -%}
        {{ cost_per_customer.text_literal(category) }}{{ ', ' if not loop.last }}
        {%- endfor -%}
    )
{%- endmacro %}
