{#- Schemas are used as given (staging, intermediate, marts), not prefixed with the target schema,
    so BI tools find the marts under a stable name on every engine. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
