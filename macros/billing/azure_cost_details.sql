{#- Helpers of stg_azure__cost_details: the Azure cost details values that need more than a rename. -#}

{#- Azure writes Tags as JSON object members without the braces ("k": "v","k2": "v2"); some exports
    write a whole object. The text as a JSON object: braces added when the text does not start
    with '{'; NULL when there are no tags. parse_tags then reads it (NULL when malformed). Takes a
    column of cleaned text (clean_text). -#}
{% macro azure_tags_json(column) -%}
    {{ return(adapter.dispatch('azure_tags_json', 'cost_per_customer')(column)) }}
{%- endmacro %}
{% macro default__azure_tags_json(column) -%}
    case
        when {{ column }} is null then null
        when substring({{ column }}, 1, 1) = '{' then {{ column }}
        else concat('{', {{ column }}, '}')
    end
{%- endmacro %}


{#- FOCUS RegionId from ResourceLocation: lower case without spaces ('CentralUS' and 'Central US'
    -> 'centralus'); NULL when blank. Takes cleaned text. -#}
{% macro azure_region_id(column) -%}
    {{ return(adapter.dispatch('azure_region_id', 'cost_per_customer')(column)) }}
{%- endmacro %}
{% macro default__azure_region_id(column) -%}
    lower(replace({{ column }}, ' ', ''))
{%- endmacro %}


{#- A key for comparing Azure enumerations: lower case without spaces and hyphens
    ('On Demand', 'OnDemand' -> 'ondemand'; 'Savings Plan' -> 'savingsplan'). Takes cleaned text. -#}
{% macro azure_enum_key(column) -%}
    {{ return(adapter.dispatch('azure_enum_key', 'cost_per_customer')(column)) }}
{%- endmacro %}
{% macro default__azure_enum_key(column) -%}
    lower(replace(replace({{ column }}, ' ', ''), '-', ''))
{%- endmacro %}


{#- FOCUS ServiceCategory of an Azure charge: the category the seed provider_service_categories
    lists for its MeterCategory (what was metered), else the one it lists for the resource provider
    namespace of its ConsumedService ('microsoft.compute'), else 'Other'; NULL when the row names
    neither (taxes, credits, adjustments: no service). Takes column names: the two categories the
    staging model joined from the seed, and the two lower-cased keys it joined on. -#}
{% macro azure_service_category(meter_listed, service_listed, meter_key, service_key) -%}
    {{ return(adapter.dispatch('azure_service_category', 'cost_per_customer')(meter_listed, service_listed, meter_key, service_key)) }}
{%- endmacro %}
{% macro default__azure_service_category(meter_listed, service_listed, meter_key, service_key) -%}
    case
        when {{ meter_listed }} is not null then {{ meter_listed }}
        when {{ service_listed }} is not null then {{ service_listed }}
        when {{ meter_key }} is null and {{ service_key }} is null then null
        else 'Other'
    end
{%- endmacro %}
