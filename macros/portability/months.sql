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


{#- The first day of the calendar month, quarter or year of a date or timestamp, as a date: the one
    place a period is cut, for the monthly, quarterly and yearly marts (DuckDB date_trunc, Spark
    trunc). Fails at compile time on any other period. -#}
{% macro period_start(column, period) -%}
    {%- if period not in ['month', 'quarter', 'year'] -%}
        {{ exceptions.raise_compiler_error("period_start in " ~ this ~ ": period must be month, quarter or year, got '" ~ period ~ "'") }}
    {%- endif -%}
    {{ return(adapter.dispatch('period_start', 'cost_per_customer')(column, period)) }}
{%- endmacro %}
{% macro default__period_start(column, period) -%}
    cast(date_trunc('{{ period }}', {{ column }}) as date)
{%- endmacro %}
{% macro spark__period_start(column, period) -%}
    trunc(cast({{ column }} as date), '{{ period | upper }}')
{%- endmacro %}
