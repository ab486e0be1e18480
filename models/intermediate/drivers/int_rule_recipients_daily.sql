{#- One row per rule x day x customer that the rule may place cost on, with the customer's weight,
    for the rules that split among a set of customers rather than by a driver in the bill:
    even (weight 1 for each active customer), weighted (the customer's or its segment's weight, else
    default_weight, for each active customer), revenue (the customer's revenue in the day's month, in the reporting currency: int_revenue_monthly)
    and fixed (the named customer's fraction). scope restricts even/weighted/revenue to segments or
    customers. Rows with zero weight, and days the rule is not in effect, are left out, so a rule
    with no row for a day cannot place. -#}
{%- set rules = cost_per_customer.allocation_rules() -%}
{%- set recipient_rules = rules | selectattr('method', 'in', ['even', 'weighted', 'revenue', 'fixed']) | list -%}
with

customers as (

    select * from {{ ref('stg_business__customers') }}
    where quarantine_reason is null

),

active_customers as (

    select * from {{ ref('int_customers_active_daily') }}

),

monthly_revenue as (

    select * from {{ ref('int_revenue_monthly') }}

),

bill_days as (

    select distinct active_customers.cost_date from active_customers

),


{%- for rule in recipient_rules %}

recipients_rule_{{ rule.position }} as (

    {%- if rule.method == 'fixed' %}
    select
        bill_days.cost_date,
        customers.customer_id,
        case lower(customers.customer_id)
            {%- for customer_id, share in (rule.shares or {}).items() %}
            when lower({{ cost_per_customer.text_literal(customer_id) }}) then cast({{ share }} as {{ cost_per_customer.money_type() }})
            {%- endfor %}
        end as recipient_weight

    from bill_days
    cross join customers
    where lower(customers.customer_id) in (
        {%- for customer_id in (rule.shares or {}).keys() -%}
        lower({{ cost_per_customer.text_literal(customer_id) }}){{ ", " if not loop.last }}
        {%- endfor -%}
    )
    {%- elif rule.method == 'revenue' %}
    select
        bill_days.cost_date,
        customers.customer_id,
        cast(monthly_revenue.revenue as {{ cost_per_customer.money_type() }}) as recipient_weight

    from bill_days
    inner join monthly_revenue
        on {{ cost_per_customer.month_start('bill_days.cost_date') }} = monthly_revenue.revenue_month
    inner join customers
        on monthly_revenue.customer_key = lower(customers.customer_id)
    where monthly_revenue.revenue > 0
        and {{ cost_per_customer.rule_scope(rule, 'customers') }}
    {%- else %}
    select
        active_customers.cost_date,
        customers.customer_id,
        {%- if rule.method == 'weighted' %}
        {{ cost_per_customer.rule_weight(rule, 'customers') }} as recipient_weight
        {%- else %}
        cast(1 as {{ cost_per_customer.money_type() }}) as recipient_weight
        {%- endif %}

    from active_customers
    inner join customers
        on active_customers.customer_id = customers.customer_id
    where {{ cost_per_customer.rule_scope(rule, 'customers') }}
    {%- endif %}

),
{%- endfor %}

all_recipients as (

    {%- for rule in recipient_rules %}
    select
        {{ rule.position }} as rule_position,
        recipients_rule_{{ rule.position }}.cost_date,
        recipients_rule_{{ rule.position }}.customer_id,
        recipients_rule_{{ rule.position }}.recipient_weight
    from recipients_rule_{{ rule.position }}
    where recipients_rule_{{ rule.position }}.recipient_weight > 0
        and {{ cost_per_customer.rule_in_effect(rule, 'recipients_rule_' ~ rule.position ~ '.cost_date') }}
    union all
    {%- endfor %}
    select
        cast(null as integer) as rule_position,
        cast(null as date) as cost_date,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        cast(null as {{ cost_per_customer.money_type() }}) as recipient_weight
    from bill_days
    where 1 = 0

)

select * from all_recipients
