{#- The value of one tag in a FOCUS Tags JSON object, matching the key case-insensitively, ignoring
    surrounding whitespace and a provider prefix such as `user:` or `aws:`. NULL when the key is
    absent, the value is empty, or the text is not a JSON object. -#}
{% macro tag_value(tags_column, tag_key) -%}
    {{ return(adapter.dispatch('tag_value', 'cost_per_customer')(tags_column, tag_key)) }}
{%- endmacro %}

{% macro default__tag_value(tags_column, tag_key) -%}
    {{ cost_per_customer.clean_text(
        "list_filter(map_entries(try_cast(try_cast(" ~ tags_column ~ " as json) as map(varchar, varchar))), "
        ~ "lambda tag: " ~ cost_per_customer.normalized_tag_key("tag.key") ~ " = "
        ~ cost_per_customer.normalized_tag_key("'" ~ tag_key ~ "'") ~ ")[1].value"
    ) }}
{%- endmacro %}

{% macro spark__tag_value(tags_column, tag_key) -%}
    {{ cost_per_customer.clean_text(
        "element_at(map_values(map_filter(from_json(" ~ tags_column ~ ", 'map<string,string>'), "
        ~ "(tag_key, tag_text) -> " ~ cost_per_customer.normalized_tag_key("tag_key") ~ " = "
        ~ cost_per_customer.normalized_tag_key("'" ~ tag_key ~ "'") ~ ")), 1)"
    ) }}
{%- endmacro %}

{#- Whether text is a well-formed JSON object (an empty value counts as well-formed: no tags). -#}
{% macro is_valid_tags(tags_column) -%}
    {{ return(adapter.dispatch('is_valid_tags', 'cost_per_customer')(tags_column)) }}
{%- endmacro %}
{% macro default__is_valid_tags(tags_column) -%}
    ({{ cost_per_customer.clean_text(tags_column) }} is null
     or try_cast(try_cast({{ tags_column }} as json) as map(varchar, varchar)) is not null)
{%- endmacro %}
{% macro spark__is_valid_tags(tags_column) -%}
    ({{ cost_per_customer.clean_text(tags_column) }} is null
     or from_json({{ tags_column }}, 'map<string,string>') is not null)
{%- endmacro %}

{% macro normalized_tag_key(key_expression) -%}
    {{ return(adapter.dispatch('normalized_tag_key', 'cost_per_customer')(key_expression)) }}
{%- endmacro %}
{% macro default__normalized_tag_key(key_expression) -%}
    lower(trim(regexp_replace(trim({{ key_expression }}), '^[^:]*:', '')))
{%- endmacro %}
