{#- One row per day the ledger holds: the fingerprints of its inputs when it was last allocated. -#}
{{ config(**cost_per_customer.day_ledger_config()) }}
{#- Written last, after every ledger model it records (a build that stops before it allocates the
    same days again next time): -#}
-- depends_on: {{ ref('customer_costs_daily') }}
-- depends_on: {{ ref('unattributed_costs_daily') }}
-- depends_on: {{ ref('int_pool_members') }}
with

current_days as (

    select * from {{ ref('int_days_fingerprinted') }}

),

processed as (

    select
        current_days.cost_date,
        {%- for input in cost_per_customer.day_fingerprint_inputs() %}
        current_days.{{ input }}_fingerprint{{ "," if not loop.last }}
        {%- endfor %}

    from current_days
    where {{ cost_per_customer.in_days_to_process('current_days.cost_date') }}

)

select * from processed
