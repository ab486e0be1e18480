{#- Map case and spelling variants of an enumeration to its canonical spelling
    (e.g. 'Usage-based' -> 'Usage-Based'); unknown values pass through. `column` names a column of
    cleaned text (clean_text), as a staging model's cleaning CTE leaves it. -#}
{% macro normalize_enum(column, canonical_values) -%}
    {{ return(adapter.dispatch('normalize_enum', 'cost_per_customer')(column, canonical_values)) }}
{%- endmacro %}
{% macro default__normalize_enum(column, canonical_values) -%}
    {%- if canonical_values is string or canonical_values | length == 0 -%}
        {{ exceptions.raise_compiler_error("normalize_enum(" ~ column ~ "): canonical_values must be a non-empty list, got " ~ canonical_values) }}
    {%- endif -%}
    case lower({{ column }})
        {%- for value in canonical_values %}
        when '{{ value | lower }}' then '{{ value }}'
        {%- endfor %}
        else {{ column }}
    end
{%- endmacro %}
