{#- Fails with the rows where the condition holds but the column is NULL
    (e.g. a reason is required on every unattributed ledger row). -#}
{% test required_when(model, column_name, condition) %}
    select *
    from {{ model }}
    where ({{ condition }}) and {{ column_name }} is null
{% endtest %}
