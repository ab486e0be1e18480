{#- Raw text to a value or NULL: empty, "null", "none" and "nan" (any case, after trimming) are NULL.
    The CLI renders this file with plain Jinja to clean values exactly as staging does. -#}
{% macro clean_text(column) -%}
    {{ return(adapter.dispatch('clean_text', 'cost_per_customer')(column)) }}
{%- endmacro %}
{% macro default__clean_text(column) -%}
    case when lower(trim({{ column }})) in ('', 'null', 'none', 'nan') then null else trim({{ column }}) end
{%- endmacro %}


{#- A segment name as customers.csv, budgets.csv and the rules compare it: cleaned text, lower-case,
    spaces as '-'. -#}
{% macro segment_name(column) -%}
    {{ return(adapter.dispatch('segment_name', 'cost_per_customer')(column)) }}
{%- endmacro %}
{% macro default__segment_name(column) -%}
    lower(replace({{ default__clean_text(column) }}, ' ', '-'))
{%- endmacro %}
