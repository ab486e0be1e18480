{#- One row per input record rejected by staging (or a support ticket no rate can price), from any input. -#}
{#- Each input: the model its rejected rows come from (filtered by `where`), the raw fields shown in
    raw_values (label, column), and the columns giving the reason, currency, money and day where
    the input has them (NULL otherwise). Expressions are read against the input's own rows. -#}
{%- set inputs = [
    {'input_name': 'billing', 'rows': 'billing_rows', 'model': 'int_quarantined_charges_converted', 'where': none,
     'raw_values': [('ChargePeriodStart', 'charge_period_start_raw'), ('ChargePeriodEnd', 'charge_period_end_raw'),
                    ('EffectiveCost', 'effective_cost_raw')],
     'currency': 'billing_currency', 'effective_cost': 'effective_cost', 'cost_date': 'cost_date',
     'fx_rate': 'fx_rate', 'effective_cost_in_reporting_currency': 'effective_cost_in_reporting_currency'},
    {'input_name': 'usage', 'rows': 'usage_rows', 'model': 'int_usage_rows_quarantined',
     'raw_values': [('usage_date', 'usage_date_raw'), ('metric', 'metric'), ('quantity', 'quantity_raw'),
                    ('sample_rate', 'sample_rate_raw')],
     'cost_date': 'usage_date'},
    {'input_name': 'customers', 'rows': 'customer_rows', 'model': 'stg_business__customers',
     'raw_values': [('customer_id', 'customer_id'), ('segment', 'segment'), ('active_from', 'active_from_raw'),
                    ('active_to', 'active_to_raw')]},
    {'input_name': 'revenue', 'rows': 'revenue_rows', 'model': 'stg_business__revenue',
     'raw_values': [('customer_id', 'customer_id'), ('month', 'month_raw'), ('revenue', 'revenue_raw')],
     'currency': 'revenue_currency', 'cost_date': 'revenue_month'},
    {'input_name': 'budgets', 'rows': 'budget_rows', 'model': 'stg_business__budgets',
     'raw_values': [('customer_id', 'customer_id'), ('segment', 'segment'), ('month', 'month_raw'), ('amount', 'amount_raw')],
     'currency': 'budget_currency', 'cost_date': 'budget_month'},
    {'input_name': 'budgets', 'rows': 'customerless_budget_rows', 'model': 'int_budgets_converted', 'where': 'problem is not null',
     'quarantine_reason': 'problem',
     'raw_values': [('customer_id', 'budget_customer_id'), ('segment', 'segment'), ('month', 'month_raw'),
                    ('amount', 'amount_raw')],
     'currency': 'budget_currency', 'cost_date': 'budget_month'},
    {'input_name': 'support_tickets', 'rows': 'support_ticket_rows', 'model': 'stg_business__support_tickets',
     'raw_values': [('ticket_id', 'ticket_id'), ('opened_at', 'opened_at_raw'), ('handle_minutes', 'handle_minutes_raw')],
     'cost_date': 'cost_date'},
    {'input_name': 'support_tickets', 'rows': 'unpriced_ticket_rows', 'model': 'int_support_costs', 'where': 'not is_priced',
     'quarantine_reason': "case when hourly_rate is null then concat('no support rate for agent_tier ', agent_tier, ' on that day')"
        ~ " else concat('no ', source_currency, ' exchange rate on that day') end",
     'raw_values': [('ticket_id', 'ticket_id'), ('handle_minutes', 'cast(handle_minutes as ' ~ dbt.type_string() ~ ')')],
     'currency': 'case when hourly_rate is not null then source_currency end', 'cost_date': 'cost_date'},
    {'input_name': 'support_rates', 'rows': 'support_rate_rows', 'model': 'stg_business__support_rates',
     'raw_values': [('agent_tier', 'agent_tier'), ('hourly_rate', 'hourly_rate_raw'), ('effective_from', 'effective_from_raw'),
                    ('effective_to', 'effective_to_raw')],
     'currency': 'rate_currency'},
    {'input_name': 'fx_rates', 'rows': 'fx_rate_rows', 'model': 'stg_finance__fx_rates',
     'raw_values': [('date', 'rate_date_raw'), ('currency', 'currency'), ('rate', 'rate_raw')],
     'currency': 'currency', 'cost_date': 'rate_date'},
    {'input_name': 'k8s_usage', 'rows': 'k8s_usage_rows', 'model': 'stg_kubernetes__usage',
     'raw_values': [('interval_start', 'interval_start_raw'), ('interval_end', 'interval_end_raw'), ('node_id', 'node_id'),
                    ('namespace', 'namespace'), ('cpu_request_cores', 'cpu_request_cores_raw'),
                    ('cpu_usage_cores', 'cpu_usage_cores_raw'), ('memory_request_bytes', 'memory_request_bytes_raw'),
                    ('memory_usage_bytes', 'memory_usage_bytes_raw')],
     'cost_date': 'cast(interval_start_at as date)'},
    {'input_name': 'k8s_namespaces', 'rows': 'k8s_namespace_rows', 'model': 'stg_kubernetes__namespaces',
     'raw_values': [('cluster_id', 'cluster_id'), ('namespace', 'namespace'), ('customer_id', 'customer_id')]},
] -%}
{%- set columns = [
    ('currency', dbt.type_string()),
    ('effective_cost', cost_per_customer.money_type()),
    ('cost_date', 'date'),
    ('fx_rate', cost_per_customer.fx_rate_type()),
    ('effective_cost_in_reporting_currency', cost_per_customer.money_type()),
] -%}
with
{% for input in inputs %}
{{ input.rows }} as (

    select * from {{ ref(input.model) }}
    where {{ input.get('where') or 'quarantine_reason is not null' }}

),
{% endfor %}
unioned as (
    {%- for input in inputs %}

    select
        '{{ input.input_name }}' as input_name,
        source_file,
        source_row,
        {{ input.get('quarantine_reason') or 'quarantine_reason' }} as quarantine_reason,
        concat(
            {%- for label, column in input.raw_values %}
            '{{ "; " if not loop.first }}{{ label }}=', coalesce({{ column }}, ''){{ "," if not loop.last }}
            {%- endfor %}
        ) as raw_values,
        {%- for column, column_type in columns %}
        cast({{ input.get(column) or 'null' }} as {{ column_type }}) as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}

    from {{ input.rows }}
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}

)

select * from unioned
