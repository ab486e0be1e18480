{#- The columns of a model that must never be null, in one test (one query, one scan, one node of
    the build, where a not_null test per column would cost a node each). Fails with each row that
    has a null in any of them, `null_columns` naming which (comma-separated). -#}
{% test not_null_columns(model, columns) %}
    {%- if columns is string or columns | length == 0 -%}
        {{ exceptions.raise_compiler_error("not_null_columns on " ~ model ~ ": columns must be a non-empty list, got " ~ columns) }}
    {%- endif %}
    select
        concat_ws(', '
        {%- for column in columns %},
            case when {{ column }} is null then '{{ column }}' end
        {%- endfor %}
        ) as null_columns,
        *
    from {{ model }}
    where
    {%- for column in columns %}
        {{ "or " if not loop.first }}{{ column }} is null
    {%- endfor %}
{% endtest %}
