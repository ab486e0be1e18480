{#- Calendar-month arithmetic: a date plus a whole number of months, as a date. A day the target
    month does not have is clamped to its last day (2024-01-31 + 1 month = 2024-02-29,
    2024-02-29 + 12 months = 2025-02-28), the same on DuckDB (date + to_months) and Spark
    (add_months). -#}
{% macro add_months(date_expression, months_expression) -%}
    {{ return(adapter.dispatch('add_months', 'cost_per_customer')(date_expression, months_expression)) }}
{%- endmacro %}
{% macro default__add_months(date_expression, months_expression) -%}
    cast(cast({{ date_expression }} as date) + to_months(cast({{ months_expression }} as integer)) as date)
{%- endmacro %}
{% macro spark__add_months(date_expression, months_expression) -%}
    add_months(cast({{ date_expression }} as date), cast({{ months_expression }} as int))
{%- endmacro %}
