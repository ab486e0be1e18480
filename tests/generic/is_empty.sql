{#- Fails (or, with severity warn, warns) when the model has any row; the rows are what is wrong.
    For quality marts that list problems to fix. -#}
{% test is_empty(model) %}

select * from {{ model }}

{% endtest %}
