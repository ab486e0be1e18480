{#- Support cost is conserved: the priced tickets' cost equals what the ledger placed on customers
    plus what it left unattributed in the support pools, per currency. Returns the mismatches. -#}
with

tickets as (

    select
        currency,
        sum(support_cost) as ticket_cost
    from {{ ref('int_support_costs') }}
    where is_priced
    group by currency

),

ledger as (

    select
        currency,
        sum(cost) as ledger_cost
    from (
        select
            currency,
            allocated_cost as cost
        from {{ ref('customer_costs_daily') }}
        where charge_category = {{ cost_per_customer.support_charge_category() }}
        union all
        select
            currency,
            unattributed_cost as cost
        from {{ ref('unattributed_costs_daily') }}
        where charge_category = {{ cost_per_customer.support_charge_category() }}
    ) as support_rows
    group by currency

)

select
    coalesce(tickets.currency, ledger.currency) as currency,
    tickets.ticket_cost,
    ledger.ledger_cost

from tickets
full outer join ledger
    on tickets.currency = ledger.currency
where coalesce(tickets.ticket_cost, 0) <> coalesce(ledger.ledger_cost, 0)
