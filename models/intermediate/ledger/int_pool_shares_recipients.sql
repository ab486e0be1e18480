{#- Shares of even, weighted, revenue and fixed pools: the rule's recipients that day, by weight. -#}
{%- set remainder_positions = cost_per_customer.allocation_rules() | selectattr('remainder_unattributed') | map(attribute='position') | list -%}
with

pools as (

    select * from {{ ref('int_cost_pools') }}
    where {{ cost_per_customer.in_days_to_process('cost_date') }}

),

recipients as (

    select * from {{ ref('int_rule_recipients_daily') }}

),

{# A fixed rule with `remainder: unattributed` places exactly its fractions (its weights are not
    divided by their sum). -#}
recipient_shares as (

    select
        pools.pool_id,
        recipients.customer_id,
        cast(null as {{ dbt.type_string() }}) as unattributed_reason,
        cast(recipients.recipient_weight as double)
            / case
                when pools.rule_position in ({{ remainder_positions | join(', ') if remainder_positions else 'null' }}) then 1.0
                else cast(sum(recipients.recipient_weight) over (partition by pools.pool_id) as double)
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

{# What such a fixed rule leaves unplaced becomes a fixed_remainder row. -#}
remainder_shares as (

    select
        recipient_shares.pool_id,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        'fixed_remainder' as unattributed_reason,
        cast(1 - sum(recipient_shares.driver_quantity) as double) as allocation_share,
        cast(null as {{ cost_per_customer.money_type() }}) as driver_quantity,
        cast(null as {{ cost_per_customer.money_type() }}) as driver_total_quantity

    from recipient_shares
    inner join pools
        on recipient_shares.pool_id = pools.pool_id
    where pools.rule_position in ({{ remainder_positions | join(', ') if remainder_positions else 'null' }})
    group by recipient_shares.pool_id
    having 1 - sum(recipient_shares.driver_quantity) > 0

),

recipient_and_remainder_shares as (

    select * from recipient_shares
    union all
    select * from remainder_shares

)

select * from recipient_and_remainder_shares
