{#- The allocation ledger before presentation: one row per day x cost pool x recipient, where a
    recipient is a customer or an unattributed reason. Shares by method: tag (the tagged customer, or
    unknown_customer), direct (support tickets: each ticket's customer; other costs: the customer
    the input names, or unknown_customer), usage (the customer's share of the day's driver quantity; telemetry without a
    known customer is unknown_customer), even, weighted, revenue and fixed (the rule's recipients
    that day by weight, see int_rule_recipients_daily; a fixed rule's unplaced remainder is
    fixed_remainder), proportional_to_cost (the customer's share of the cost direct rules placed on that day and billing
    account). Amounts are rounded to the money type and the rounding remainder goes to the pool's
    largest recipient, so each pool's rows add up to the pool exactly. -#}
{%- set following_rules = cost_per_customer.cost_following_rules() -%}
{%- set remainder_positions = cost_per_customer.allocation_rules() | selectattr('remainder_unattributed') | map(attribute='position') | list -%}
with

pools as (

    select * from {{ ref('int_cost_pools') }}

),

customers as (

    select * from {{ ref('stg_business__customers') }}
    where quarantine_reason is null

),

drivers as (

    select * from {{ ref('int_usage_drivers_daily') }}

),

recipients as (

    select * from {{ ref('int_rule_recipients_daily') }}

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

usage_shares as (

    select
        pools.pool_id,
        drivers.customer_id,
        case when drivers.customer_id is null then 'unknown_customer' end as unattributed_reason,
        cast(drivers.quantity as double)
            / cast(sum(drivers.quantity) over (partition by pools.pool_id) as double) as allocation_share,
        drivers.quantity as driver_quantity,
        sum(drivers.quantity) over (partition by pools.pool_id) as driver_total_quantity

    from pools
    inner join drivers
        on pools.cost_date = drivers.cost_date
        and pools.driver_service = drivers.service_name
        and pools.driver_metric = drivers.metric
        and pools.driver_level = drivers.driver_level
        and pools.driver_value = drivers.driver_value
    where pools.allocation_method = 'usage'

),

{# even, weighted, revenue and fixed: the rule's recipients that day, by weight. A fixed rule with
    `remainder: unattributed` places exactly its fractions; the rest becomes a fixed_remainder row. -#}
recipient_shares as (

    select
        pools.pool_id,
        recipients.customer_id,
        cast(null as {{ dbt.type_string() }}) as unattributed_reason,
        recipients.recipient_weight
            / case
                when pools.rule_position in ({{ remainder_positions | join(', ') if remainder_positions else 'null' }}) then 1.0
                else sum(recipients.recipient_weight) over (partition by pools.pool_id)
            end as allocation_share,
        cast(recipients.recipient_weight as {{ cost_per_customer.money_type() }}) as driver_quantity,
        cast(
            sum(recipients.recipient_weight) over (partition by pools.pool_id) as {{ cost_per_customer.money_type() }}
        ) as driver_total_quantity

    from pools
    inner join recipients
        on pools.rule_position = recipients.rule_position
        and pools.cost_date = recipients.cost_date
    where pools.allocation_method in ('even', 'weighted', 'revenue', 'fixed')

),

remainder_shares as (

    select
        recipient_shares.pool_id,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        'fixed_remainder' as unattributed_reason,
        1.0 - sum(recipient_shares.allocation_share) as allocation_share,
        cast(null as {{ cost_per_customer.money_type() }}) as driver_quantity,
        cast(null as {{ cost_per_customer.money_type() }}) as driver_total_quantity

    from recipient_shares
    inner join pools
        on recipient_shares.pool_id = pools.pool_id
    where pools.rule_position in ({{ remainder_positions | join(', ') if remainder_positions else 'null' }})
    group by recipient_shares.pool_id
    having 1.0 - sum(recipient_shares.allocation_share) > 0

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
        on pools.cost_date = support_tickets.cost_date
        and pools.billing_currency = support_tickets.currency
        and pools.driver_value = support_tickets.agent_tier
    where pools.allocation_method = 'direct'
        and pools.driver_level = 'agent_tier'
        and pools.pool_cost <> 0
    group by pools.pool_id, support_tickets.customer_id

),

direct_shares as (

    select * from support_shares
    union all
    select * from tag_shares
    union all
    select * from usage_shares
    union all
    select * from recipient_shares
    union all
    select * from remainder_shares

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
        direct_shares.customer_id,
        sum({{ cost_per_customer.scale_money('pools.basis_cost_rule_' ~ rule.position, 'direct_shares.allocation_share') }}) as basis_cost

    from direct_shares
    inner join pools
        on direct_shares.pool_id = pools.pool_id
    where direct_shares.customer_id is not null
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

),

unattributed_shares as (

    select
        pools.pool_id,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        pools.unattributed_reason,
        cast(1 as double) as allocation_share,
        cast(null as {{ cost_per_customer.money_type() }}) as driver_quantity,
        cast(null as {{ cost_per_customer.money_type() }}) as driver_total_quantity

    from pools
    where pools.allocation_method is null

),

all_shares as (

    select * from direct_shares
    union all
    select * from proportional_shares
    union all
    select * from unattributed_shares

),

placed_pools as (

    select distinct all_shares.pool_id
    from all_shares

),

{# A pool that found no recipient at all (e.g. a proportional rule whose basis went only to
    unknown customers) stays whole, unattributed, rather than vanish. -#}
orphan_shares as (

    select
        pools.pool_id,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        'no_rule' as unattributed_reason,
        cast(1 as double) as allocation_share,
        cast(null as {{ cost_per_customer.money_type() }}) as driver_quantity,
        cast(null as {{ cost_per_customer.money_type() }}) as driver_total_quantity

    from pools
    left join placed_pools
        on pools.pool_id = placed_pools.pool_id
    where placed_pools.pool_id is null

),

shares as (

    select * from all_shares
    union all
    select * from orphan_shares

),

amounts as (

    select
        shares.*,
        pools.cost_date,
        pools.billing_currency as currency,
        pools.pool_cost,
        {{ cost_per_customer.scale_money('pools.pool_cost', 'shares.allocation_share') }} as rounded_cost

    from shares
    inner join pools
        on shares.pool_id = pools.pool_id

),

conserved as (

    select
        amounts.cost_date,
        amounts.pool_id,
        amounts.customer_id,
        amounts.unattributed_reason,
        amounts.currency,
        amounts.allocation_share,
        amounts.driver_quantity,
        amounts.driver_total_quantity,
        {{ cost_per_customer.largest_remainder(
            'amounts.rounded_cost',
            'amounts.pool_cost',
            'amounts.pool_id',
            'abs(amounts.rounded_cost) desc, amounts.customer_id, amounts.unattributed_reason asc'
        ) }} as allocated_cost

    from amounts

)

select * from conserved
