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
{#- The map is written once; the value found is cleaned (clean_text) inside the lambda that
    reads it, by name. -#}
{% macro default__map_tag_value(tags_map, tag_key) -%}
    list_transform(
        list_filter(map_entries({{ tags_map }}), lambda tag: {{ cost_per_customer.normalized_tag_key("tag.key") }} = {{ cost_per_customer.normalized_tag_key_literal(tag_key) }}),
        lambda tag: {{ cost_per_customer.clean_text("tag.value") }}
    )[1]
{%- endmacro %}
{% macro spark__map_tag_value(tags_map, tag_key) -%}
    try_element_at(transform(
        map_values(map_filter({{ tags_map }}, (tag_key, tag_text) -> {{ cost_per_customer.normalized_tag_key("tag_key") }} = {{ cost_per_customer.normalized_tag_key_literal(tag_key) }})),
        tag_text -> {{ cost_per_customer.clean_text("tag_text") }}
    ), 1)
{%- endmacro %}


{#- normalized_tag_key of a key known when the model compiles, as a quoted literal. -#}
{% macro normalized_tag_key_literal(tag_key) -%}
    {%- set key = tag_key | trim -%}
    {%- set key = key.split(':', 1)[1] if ':' in key else key -%}
    '{{ key | trim | lower | replace("'", "''") }}'
{%- endmacro %}


{% macro normalized_tag_key(key_expression) -%}
    {{ return(adapter.dispatch('normalized_tag_key', 'cost_per_customer')(key_expression)) }}
{%- endmacro %}
{% macro default__normalized_tag_key(key_expression) -%}
    lower(trim(regexp_replace(trim({{ key_expression }}), '^[^:]*:', '')))
{%- endmacro %}


{#- Why a Tags text did not parse, to follow the column's name in a quarantine reason: a JSON
    object that names a key twice (which value counts cannot be told), else not a JSON object. -#}
{% macro tags_problem(tags_text) -%}
    {{ return(adapter.dispatch('tags_problem', 'cost_per_customer')(tags_text)) }}
{%- endmacro %}
{% macro default__tags_problem(tags_text) -%}
    case
        when len(json_keys(try_cast({{ tags_text }} as json))) > len(list_distinct(json_keys(try_cast({{ tags_text }} as json))))
            then ' names a key twice'
        else ' is not a JSON object'
    end
{%- endmacro %}
{% macro spark__tags_problem(tags_text) -%}
    case
        when size(json_object_keys({{ tags_text }})) > size(array_distinct(json_object_keys({{ tags_text }})))
            then ' names a key twice'
        else ' is not a JSON object'
    end
{%- endmacro %}


{#- Every value the tags give one key (matched as map_tag_value matches it), cleaned, NULLs left
    out, in the tags' order: computed once per row, then read with first_tag_value (the customer
    tag) and distinct_tag_values (more than one means it cannot be read, e.g. customer_id and
    Customer_ID naming two customers). -#}
{% macro tag_values(tags_map, tag_key) -%}
    {{ return(adapter.dispatch('tag_values', 'cost_per_customer')(tags_map, tag_key)) }}
{%- endmacro %}
{% macro default__tag_values(tags_map, tag_key) -%}
    list_filter(list_transform(list_filter(map_entries({{ tags_map }}), lambda tag: {{ cost_per_customer.normalized_tag_key("tag.key") }} = {{ cost_per_customer.normalized_tag_key_literal(tag_key) }}), lambda tag: {{ cost_per_customer.clean_text("tag.value") }}), lambda tag_text: tag_text is not null)
{%- endmacro %}
{% macro spark__tag_values(tags_map, tag_key) -%}
    filter(transform(map_values(map_filter({{ tags_map }}, (tag_key, tag_text) -> {{ cost_per_customer.normalized_tag_key("tag_key") }} = {{ cost_per_customer.normalized_tag_key_literal(tag_key) }})), tag_text -> {{ cost_per_customer.clean_text("tag_text") }}), tag_text -> tag_text is not null)
{%- endmacro %}

{% macro first_tag_value(values) -%}
    {{ return(adapter.dispatch('first_tag_value', 'cost_per_customer')(values)) }}
{%- endmacro %}
{% macro default__first_tag_value(values) -%}
    list_extract({{ values }}, 1)
{%- endmacro %}
{% macro spark__first_tag_value(values) -%}
    try_element_at({{ values }}, 1)
{%- endmacro %}

{% macro distinct_tag_values(values) -%}
    {{ return(adapter.dispatch('distinct_tag_values', 'cost_per_customer')(values)) }}
{%- endmacro %}
{% macro default__distinct_tag_values(values) -%}
    len(list_distinct({{ values }}))
{%- endmacro %}
{% macro spark__distinct_tag_values(values) -%}
    size(array_distinct({{ values }}))
{%- endmacro %}


{#- Tag keys that nearly match the customer tag key: the same once case, a provider prefix such as
    `user:`, the separators _ - . : / and spaces are ignored, but not the key the tag method reads
    (normalized_tag_key differs), e.g. `CustomerId` or `user:customer-id` for `customer_id`. -#}
{% macro loose_tag_key(key_expression) -%}
    {{ return(adapter.dispatch('loose_tag_key', 'cost_per_customer')(key_expression)) }}
{%- endmacro %}
{#- DuckDB replaces every match only with the 'g' flag; Spark always does. -#}
{% macro default__loose_tag_key(key_expression) -%}
    regexp_replace({{ cost_per_customer.normalized_tag_key(key_expression) }}, '[ _./:-]', '', 'g')
{%- endmacro %}
{% macro spark__loose_tag_key(key_expression) -%}
    regexp_replace({{ cost_per_customer.normalized_tag_key(key_expression) }}, '[ _./:-]', '')
{%- endmacro %}

{#- loose_tag_key of a key known when the model compiles, as a quoted literal. -#}
{% macro loose_tag_key_literal(tag_key) -%}
    {{ cost_per_customer.normalized_tag_key_literal(tag_key) | trim | replace(" ", "") | replace("_", "") | replace(".", "") | replace("/", "") | replace(":", "") | replace("-", "") }}
{%- endmacro %}

{#- The keys of a tags map that nearly match tag_key (see loose_tag_key), as written, in the map's
    order; an empty list when none does, NULL for a NULL map. -#}
{% macro near_miss_tag_keys(tags_map, tag_key) -%}
    {{ return(adapter.dispatch('near_miss_tag_keys', 'cost_per_customer')(tags_map, tag_key)) }}
{%- endmacro %}
{% macro default__near_miss_tag_keys(tags_map, tag_key) -%}
    list_filter(map_keys({{ tags_map }}), lambda map_key: {{ cost_per_customer.loose_tag_key("map_key") }} = {{ cost_per_customer.loose_tag_key_literal(tag_key) }} and {{ cost_per_customer.normalized_tag_key("map_key") }} <> {{ cost_per_customer.normalized_tag_key_literal(tag_key) }})
{%- endmacro %}
{% macro spark__near_miss_tag_keys(tags_map, tag_key) -%}
    filter(map_keys({{ tags_map }}), map_key -> {{ cost_per_customer.loose_tag_key("map_key") }} = {{ cost_per_customer.loose_tag_key_literal(tag_key) }} and {{ cost_per_customer.normalized_tag_key("map_key") }} <> {{ cost_per_customer.normalized_tag_key_literal(tag_key) }})
{%- endmacro %}

{#- One row per element of a list: a set-returning select-list expression (no row for an empty or
    NULL list). -#}
{% macro explode_list(list_expression) -%}
    {{ return(adapter.dispatch('explode_list', 'cost_per_customer')(list_expression)) }}
{%- endmacro %}
{% macro default__explode_list(list_expression) -%}
    unnest({{ list_expression }})
{%- endmacro %}
{% macro spark__explode_list(list_expression) -%}
    explode({{ list_expression }})
{%- endmacro %}
