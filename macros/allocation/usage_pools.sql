{#- Whether a telemetry driver (int_usage_drivers_daily or a row of its grain) is the one a usage
    pool splits by: the pool's day, driver service, metric, level and value. -#}
{% macro is_driver_of_usage_pool(pool, driver) -%}
    {{ return(adapter.dispatch('is_driver_of_usage_pool', 'cost_per_customer')(pool, driver)) }}
{%- endmacro %}

{% macro default__is_driver_of_usage_pool(pool, driver) -%}
    {{ pool }}.cost_date = {{ driver }}.cost_date
        and {{ pool }}.driver_service = {{ driver }}.service_name
        and {{ pool }}.driver_metric = {{ driver }}.metric
        and {{ pool }}.driver_level = {{ driver }}.driver_level
        and {{ pool }}.driver_value = {{ driver }}.driver_value
{%- endmacro %}
