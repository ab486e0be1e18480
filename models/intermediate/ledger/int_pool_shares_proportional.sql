{#- Shares of proportional_to_cost pools: each customer's part of the cost direct rules placed. -#}
{%- set following_rules = cost_per_customer.cost_following_rules() -%}
with

pools as (

    select * from {{ ref('int_cost_pools') }}
    where {{ cost_per_customer.in_days_to_process('cost_date') }}

),

direct_shares as (

    select * from {{ ref('int_pool_shares_direct') }}

),

usage_shares as (

    select * from {{ ref('int_pool_shares_usage') }}

),

recipient_shares as (

    select * from {{ ref('int_pool_shares_recipients') }}

),

placed_shares as (

    select
        direct_shares.pool_id,
        direct_shares.customer_id,
        direct_shares.allocation_share
    from direct_shares
    union all
    select
        usage_shares.pool_id,
        usage_shares.customer_id,
        usage_shares.allocation_share
    from usage_shares
    union all
    select
        recipient_shares.pool_id,
        recipient_shares.customer_id,
        recipient_shares.allocation_share
    from recipient_shares

),

{# What each proportional_to_cost rule follows: each known customer's part of the basis cost
    (basis_cost_rule_<position>) of the direct pools, per day and billing account (per day across
    accounts for a rule with a `basis`). -#}
customer_basis as (

    {%- for rule in following_rules %}
    select
        {{ rule.position }} as rule_position,
        pools.cost_date,
        {{ cost_per_customer.basis_account_key(rule, 'pools.billing_account_id') }} as billing_account_key,
        placed_shares.customer_id,
        sum({{ cost_per_customer.scale_money('pools.basis_cost_rule_' ~ rule.position, 'placed_shares.allocation_share') }}) as basis_cost

    from placed_shares
    inner join pools
        on placed_shares.pool_id = pools.pool_id
    where placed_shares.customer_id is not null
        and pools.basis_cost_rule_{{ rule.position }} <> 0
    group by 1, 2, 3, 4
    union all
    {%- endfor %}
    select
        cast(null as integer) as rule_position,
        cast(null as date) as cost_date,
        cast(null as {{ dbt.type_string() }}) as billing_account_key,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        cast(null as {{ cost_per_customer.money_type() }}) as basis_cost
    from pools
    where 1 = 0

),

basis_totals as (

    select
        customer_basis.rule_position,
        customer_basis.cost_date,
        customer_basis.billing_account_key,
        sum(customer_basis.basis_cost) as basis_cost

    from customer_basis
    group by 1, 2, 3

),

{# A pool whose day and account have no basis on known customers gets no share here (it stays
    whole as no_rule, see int_pool_shares_unattributed). -#}
proportional_shares as (

    select
        pools.pool_id,
        customer_basis.customer_id,
        cast(null as {{ dbt.type_string() }}) as unattributed_reason,
        cast(customer_basis.basis_cost as double) / cast(basis_totals.basis_cost as double) as allocation_share,
        customer_basis.basis_cost as driver_quantity,
        basis_totals.basis_cost as driver_total_quantity

    from pools
    inner join basis_totals
        on pools.rule_position = basis_totals.rule_position
        and pools.cost_date = basis_totals.cost_date
        and basis_totals.billing_account_key in ('*', coalesce(pools.billing_account_id, ''))
    inner join customer_basis
        on basis_totals.rule_position = customer_basis.rule_position
        and basis_totals.cost_date = customer_basis.cost_date
        and basis_totals.billing_account_key = customer_basis.billing_account_key
    where pools.allocation_method = 'proportional_to_cost'
        and basis_totals.basis_cost > 0

)

select * from proportional_shares
