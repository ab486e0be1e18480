{#- The instrumentation gap neither creates nor loses money: for every day, the cost of
    unknown_customer_usage_costs_daily equals the unknown_customer cost of the ledger
    (unattributed_costs_daily) placed by the usage rules (named in allocation.yml). Returns the days
    that do not match. -#}
{%- set usage_rules = cost_per_customer.allocation_rules() | selectattr('method', 'equalto', 'usage') | map(attribute='name') | list -%}
with

ledger as (

    select
        cost_date,
        sum(unattributed_cost) as unknown_customer_cost

    from {{ ref('unattributed_costs_daily') }}
    where reason = 'unknown_customer'
        and rule_name in (
            {%- for name in usage_rules %}{{ cost_per_customer.text_literal(name) }}, {% endfor -%}
            {{ cost_per_customer.text_literal(none) }}
        )
    group by cost_date

),

gap as (

    select
        cost_date,
        sum(unknown_customer_cost) as unknown_customer_cost

    from {{ ref('unknown_customer_usage_costs_daily') }}
    group by cost_date

)

select
    coalesce(ledger.cost_date, gap.cost_date) as cost_date,
    ledger.unknown_customer_cost as ledger_cost,
    gap.unknown_customer_cost as gap_cost

from ledger
full outer join gap
    on ledger.cost_date = gap.cost_date
where ledger.cost_date is null
    or gap.cost_date is null
    or ledger.unknown_customer_cost <> gap.unknown_customer_cost
