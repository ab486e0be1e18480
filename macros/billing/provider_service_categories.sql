{#- FOCUS ServiceCategory for a provider's own service name, for exports that carry no category
    (Google Cloud's service.description, Oracle Cloud's product/service): the category the seed
    provider_service_categories lists for the name (joined by the staging model on the trimmed,
    lower-cased name as `listed_category`); a name the seed does not list is 'Other', no name at
    all is NULL (which the cost categories read as overhead). Takes column names. -#}
{% macro provider_service_category(listed_category, service_name) -%}
    {{ return(adapter.dispatch('provider_service_category', 'cost_per_customer')(listed_category, service_name)) }}
{%- endmacro %}
{% macro default__provider_service_category(listed_category, service_name) -%}
    case
        when {{ service_name }} is null then null
        else coalesce({{ listed_category }}, 'Other')
    end
{%- endmacro %}
