{#- Reading JSON arrays of records held as text, as provider exports write their repeated fields
    (Google Cloud's credits and labels). parse_json_records reads the text once into an array of
    records with text fields; sum_json_record_field and key_value_records_to_map work on that
    array. Each returns NULL, never an error, when the input is not such an array, so that staging
    can quarantine the row. Parse once in one CTE and use the array in the next: the parsing
    expression is long, and Spark's metastore keeps a view's text only up to 32,700 characters. -#}

{#- A JSON array of objects (text) as an array of records holding the named fields as text (a
    number is kept as its text, other fields are ignored); NULL when the text is not a JSON array
    (or, on DuckDB, when an element is not an object). Missing fields are NULL. -#}
{% macro parse_json_records(json_text, fields) -%}
    {%- if fields is string or fields | length == 0 -%}
        {{ exceptions.raise_compiler_error("parse_json_records in " ~ this ~ ": fields must be a non-empty list of field names, got " ~ fields) }}
    {%- endif -%}
    {%- for field in fields -%}
        {%- if field is not string or not (field | replace('_', '') | lower).isalnum() -%}
            {{ exceptions.raise_compiler_error("parse_json_records in " ~ this ~ ": field names must be letters, digits and underscores, got '" ~ field ~ "'") }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(adapter.dispatch('parse_json_records', 'cost_per_customer')(json_text, fields)) }}
{%- endmacro %}
{% macro default__parse_json_records(json_text, fields) -%}
    try_cast(try_cast({{ json_text }} as json) as struct(
        {%- for field in fields %}"{{ field }}" varchar{{ ", " if not loop.last }}{% endfor -%}
    )[])
{%- endmacro %}
{% macro spark__parse_json_records(json_text, fields) -%}
    from_json({{ json_text }}, 'array<struct<
        {%- for field in fields %}{{ field }}:string{{ "," if not loop.last }}{% endfor -%}
    >>')
{%- endmacro %}


{#- The sum of one field over an array of parse_json_records, in money_type: 0 for an empty array;
    NULL when the array is NULL or some element or its field is missing or not a number. -#}
{% macro sum_json_record_field(records, field) -%}
    {{ return(adapter.dispatch('sum_json_record_field', 'cost_per_customer')(records, field)) }}
{%- endmacro %}
{% macro default__sum_json_record_field(records, field) -%}
    {%- set amounts = "list_transform(" ~ records ~ ", lambda record: " ~ cost_per_customer.parse_decimal("record." ~ field, "'point'") ~ ")" -%}
    case
        when {{ records }} is null then null
        when list_count({{ amounts }}) < len({{ records }}) then null
        else coalesce(cast(list_sum({{ amounts }}) as {{ cost_per_customer.money_type() }}), cast(0 as {{ cost_per_customer.money_type() }}))
    end
{%- endmacro %}
{% macro spark__sum_json_record_field(records, field) -%}
    {%- set amount = cost_per_customer.parse_decimal("record." ~ field, "'point'") -%}
    case
        when {{ records }} is null or exists({{ records }}, record -> record is null or {{ amount }} is null) then null
        else aggregate(
            {{ records }},
            cast(0 as {{ cost_per_customer.money_type() }}),
            (total, record) -> cast(total + {{ amount }} as {{ cost_per_customer.money_type() }})
        )
    end
{%- endmacro %}


{#- An array of parse_json_records(..., ['key', 'value']) (Google Cloud labels) as a map of key to
    text value, the type parse_tags returns; the first element wins when a key repeats. An empty
    array gives an empty map; NULL when the array is NULL or an element has no key. -#}
{% macro key_value_records_to_map(records) -%}
    {{ return(adapter.dispatch('key_value_records_to_map', 'cost_per_customer')(records)) }}
{%- endmacro %}
{% macro default__key_value_records_to_map(records) -%}
    case
        when {{ records }} is null then null
        when list_count(list_transform({{ records }}, lambda record: record.key)) < len({{ records }}) then null
        else map_from_entries(list_filter(
            {{ records }},
            lambda record, position: list_position(list_transform({{ records }}, lambda other: other.key), record.key) = position
        ))
    end
{%- endmacro %}
{% macro spark__key_value_records_to_map(records) -%}
    case
        when {{ records }} is null or exists({{ records }}, record -> record is null or record.key is null) then null
        else map_from_entries(filter(
            {{ records }},
            (record, position) -> array_position(transform({{ records }}, other -> other.key), record.key) = position + 1
        ))
    end
{%- endmacro %}
