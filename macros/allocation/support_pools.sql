{#- Whether a priced support ticket belongs to a pool: the pool is a support pool (int_cost_pools:
    one per day, currency and agent tier) of the ticket's day, currency and tier. -#}
{% macro is_ticket_of_support_pool(pool, ticket) -%}
    {{ return(adapter.dispatch('is_ticket_of_support_pool', 'cost_per_customer')(pool, ticket)) }}
{%- endmacro %}

{% macro default__is_ticket_of_support_pool(pool, ticket) -%}
    {{ pool }}.allocation_method = 'direct'
        and {{ pool }}.driver_level = 'agent_tier'
        and {{ pool }}.cost_date = {{ ticket }}.cost_date
        and {{ pool }}.billing_currency = {{ ticket }}.currency
        and {{ pool }}.driver_value = {{ ticket }}.agent_tier
{%- endmacro %}
