{#- One row per pool member: a charge-day of a pool, or a priced support ticket of a support pool (see _ledger__models.yml). -#}
{{ config(**cost_per_customer.day_ledger_config()) }}
with

pools as (

    select * from {{ ref('int_cost_pools') }}
    where {{ cost_per_customer.in_days_to_process('cost_date') }}

),

candidates as (

    select * from {{ ref('int_cost_candidates') }}

),

matched_charge_days as (

    select * from {{ ref('int_charge_days_matched') }}
    where {{ cost_per_customer.in_days_to_process('cost_date') }}

),

support_tickets as (

    select * from {{ ref('int_support_costs') }}
    where is_priced and customer_id is not null
        and {{ cost_per_customer.in_days_to_process('cost_date') }}

),

{# A pool's charge-days, shared by every customer the pool reaches. -#}
charge_members as (

    select
        candidates.pool_id,
        matched_charge_days.cost_date,
        matched_charge_days.charge_id,
        'charge_day' as member_kind,
        cast(null as {{ dbt.type_string() }}) as member_customer_id,
        cast(null as {{ dbt.type_string() }}) as ticket_id,
        cast(null as {{ dbt.type_string() }}) as service_name,
        cast(null as {{ dbt.type_string() }}) as charge_category,
        matched_charge_days.effective_cost as member_cost,
        pools.pool_cost as members_cost

    from matched_charge_days
    inner join candidates
        on matched_charge_days.candidate_id = candidates.candidate_id
    inner join pools
        on candidates.pool_id = pools.pool_id

),

{# A support pool's tickets, each its own customer's: members_cost is the customer's tickets in the pool. -#}
ticket_members as (

    select
        pools.pool_id,
        pools.cost_date,
        concat(support_tickets.source_file, ':', cast(support_tickets.source_row as {{ dbt.type_string() }})) as charge_id,
        'support_ticket' as member_kind,
        support_tickets.customer_id as member_customer_id,
        support_tickets.ticket_id,
        pools.service_name,
        pools.charge_category,
        support_tickets.support_cost as member_cost,
        sum(support_tickets.support_cost) over (partition by pools.pool_id, support_tickets.customer_id) as members_cost

    from pools
    inner join support_tickets
        on {{ cost_per_customer.is_ticket_of_support_pool('pools', 'support_tickets') }}

),

pool_members as (

    select * from charge_members
    union all
    select * from ticket_members

)

select * from pool_members
