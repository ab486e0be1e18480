{#- Fails with the duplicated key values (and how often each occurs) when the combination of
    columns is not unique. -#}
{% test unique_combination(model, columns) %}
    {%- if columns is string or columns | length == 0 -%}
        {{ exceptions.raise_compiler_error("unique_combination on " ~ model ~ ": columns must be a non-empty list, got " ~ columns) }}
    {%- endif %}
    select
        {{ columns | join(', ') }},
        count(*) as occurrences
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}
