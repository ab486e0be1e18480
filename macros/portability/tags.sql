{#- FOCUS Tags: a JSON object of key/value pairs. parse_tags turns the text into a map once (NULL
    when it is not a JSON object); map_tag_value finds one key in it, matched case-insensitively,
    ignoring surrounding whitespace and a provider prefix such as `user:` or `aws:`. -#}
{% macro parse_tags(tags_column) -%}
    {{ return(adapter.dispatch('parse_tags', 'cost_per_customer')(tags_column)) }}
{%- endmacro %}
{% macro default__parse_tags(tags_column) -%}
    try_cast(try_cast({{ tags_column }} as json) as map(varchar, varchar))
{%- endmacro %}
{% macro spark__parse_tags(tags_column) -%}
    from_json({{ tags_column }}, 'map<string,string>')
{%- endmacro %}


{% macro map_tag_value(tags_map, tag_key) -%}
    {{ return(adapter.dispatch('map_tag_value', 'cost_per_customer')(tags_map, tag_key)) }}
{%- endmacro %}
{% macro default__map_tag_value(tags_map, tag_key) -%}
    {{ cost_per_customer.clean_text(
        "list_filter(map_entries(" ~ tags_map ~ "), lambda tag: "
        ~ cost_per_customer.normalized_tag_key("tag.key") ~ " = " ~ cost_per_customer.normalized_tag_key("'" ~ tag_key ~ "'")
        ~ ")[1].value"
    ) }}
{%- endmacro %}
{% macro spark__map_tag_value(tags_map, tag_key) -%}
    {{ cost_per_customer.clean_text(
        "try_element_at(map_values(map_filter(" ~ tags_map ~ ", (tag_key, tag_text) -> "
        ~ cost_per_customer.normalized_tag_key("tag_key") ~ " = " ~ cost_per_customer.normalized_tag_key("'" ~ tag_key ~ "'")
        ~ ")), 1)"
    ) }}
{%- endmacro %}


{% macro normalized_tag_key(key_expression) -%}
    {{ return(adapter.dispatch('normalized_tag_key', 'cost_per_customer')(key_expression)) }}
{%- endmacro %}
{% macro default__normalized_tag_key(key_expression) -%}
    lower(trim(regexp_replace(trim({{ key_expression }}), '^[^:]*:', '')))
{%- endmacro %}
