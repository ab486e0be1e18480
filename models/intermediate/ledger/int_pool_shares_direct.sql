{#- Shares of the pools placed whole on one customer: tag, direct placement, support tickets. -#}
with

pools as (

    select * from {{ ref('int_cost_pools') }}
    where {{ cost_per_customer.in_days_to_process('cost_date') }}

),

customers as (

    select * from {{ ref('stg_business__customers') }}
    where quarantine_reason is null

),

support_tickets as (

    select * from {{ ref('int_support_costs') }}
    where is_priced

),

{# Support: each ticket's cost is its customer's (unknown_customer when the ticket names none of
    customers.csv), summed per customer in the day's tier pool. -#}
support_shares as (

    select
        pools.pool_id,
        support_tickets.customer_id,
        case when support_tickets.customer_id is null then 'unknown_customer' end as unattributed_reason,
        cast(sum(support_tickets.support_cost) as double) / cast(max(pools.pool_cost) as double) as allocation_share,
        cast(sum(support_tickets.handle_minutes) as {{ cost_per_customer.money_type() }}) as driver_quantity,
        cast(
            sum(sum(support_tickets.handle_minutes)) over (partition by pools.pool_id) as {{ cost_per_customer.money_type() }}
        ) as driver_total_quantity

    from pools
    inner join support_tickets
        on {{ cost_per_customer.is_ticket_of_support_pool('pools', 'support_tickets') }}
    where pools.pool_cost <> 0
    group by pools.pool_id, support_tickets.customer_id

),

{# tag, and direct placement of other costs on the customer they name: all to that customer
    (matched case-insensitively), unknown_customer when customers.csv does not know it. -#}
tag_shares as (

    select
        pools.pool_id,
        customers.customer_id,
        case when customers.customer_id is null then 'unknown_customer' end as unattributed_reason,
        cast(1 as double) as allocation_share,
        cast(null as {{ cost_per_customer.money_type() }}) as driver_quantity,
        cast(null as {{ cost_per_customer.money_type() }}) as driver_total_quantity

    from pools
    left join customers
        on lower(pools.pool_customer_tag) = lower(customers.customer_id)
    where pools.allocation_method = 'tag'
        or (pools.allocation_method = 'direct' and pools.pool_customer_tag is not null)

),

direct_shares as (

    select * from support_shares
    union all
    select * from tag_shares

)

select * from direct_shares
