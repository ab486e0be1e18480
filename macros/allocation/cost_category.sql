{#- The project's cost category for a FOCUS ServiceCategory, given the joined seed column:
    a category the seed does not know is 'other'; no ServiceCategory at all (taxes, credits,
    account-level fees) is 'overhead'. -#}
{% macro cost_category(service_category_column, mapped_category_column) -%}
    {{ return(adapter.dispatch('cost_category', 'cost_per_customer')(service_category_column, mapped_category_column)) }}
{%- endmacro %}
{% macro default__cost_category(service_category_column, mapped_category_column) -%}
    case
        when {{ service_category_column }} is null then 'overhead'
        else coalesce({{ mapped_category_column }}, 'other')
    end
{%- endmacro %}

{#- The cost categories, in report order (columns of customer_costs_monthly): the project variable
    cpc_cost_categories. engineering is never given by a FOCUS ServiceCategory: it comes from
    other_costs.csv (declared_category). -#}
{% macro cost_categories() -%}
    {{ return(var('cpc_cost_categories')) }}
{%- endmacro %}


{#- The charge_category the project gives its own support-ticket pools (not a FOCUS value), so
    tests and marts can tell support cost from the cloud bill. -#}
{% macro support_charge_category() -%}
    {{ return(adapter.dispatch('support_charge_category', 'cost_per_customer')()) }}
{%- endmacro %}
{% macro default__support_charge_category() -%}'Support'{%- endmacro %}
