{#- True when two money amounts differ by more than the conservation tolerance
    (var cpc_conservation_tolerance, relative to the larger amount, at least one currency unit). -#}
{% macro differs_beyond_tolerance(actual, expected) -%}
    {{ return(adapter.dispatch('differs_beyond_tolerance', 'cost_per_customer')(actual, expected)) }}
{%- endmacro %}
{% macro default__differs_beyond_tolerance(actual, expected) -%}
    abs(cast(coalesce({{ actual }}, 0) as double) - cast(coalesce({{ expected }}, 0) as double))
        > {{ var('cpc_conservation_tolerance', 0.000001) }}
        * greatest(abs(cast(coalesce({{ actual }}, 0) as double)), abs(cast(coalesce({{ expected }}, 0) as double)), 1.0)
{%- endmacro %}
