{#- One row per customer x month x charge (or support ticket): the customer's part of it, which adds up to the month's total. -#}
with

ledger as (

    select * from {{ ref('customer_costs_daily') }}

),

charge_days as (

    select * from {{ ref('int_charges_prorated') }}

),

charges as (

    select * from {{ ref('int_charges_deduplicated') }}

),

{# What a pool is made of: its charge-days and, for a support pool, its tickets; members_cost is
    what a ledger row of the pool is split by. -#}
pool_members as (

    select * from {{ ref('int_pool_members') }}

),

billing_months as (

    select * from {{ ref('billing_months') }}

),

{# What identifies each charge and ticket. -#}
charge_attributes as (

    select
        charge_days.charge_id,
        max(coalesce(charge_days.parent_charge_id, charge_days.charge_id)) as parent_charge_id,
        max(case
            when charge_days.surcharge_name is not null then 'surcharge'
            when charge_days.charge_id <> coalesce(charge_days.parent_charge_id, charge_days.charge_id) then 'kubernetes_part'
            else 'charge'
        end) as charge_kind,
        max(charge_days.service_name) as service_name,
        max(charge_days.resource_id) as resource_id,
        max(charge_days.charge_category) as charge_category,
        max(charge_days.surcharge_name) as surcharge_name

    from charge_days
    group by charge_days.charge_id

    union all

    select
        pool_members.charge_id,
        cast(null as {{ dbt.type_string() }}) as parent_charge_id,
        pool_members.member_kind as charge_kind,
        pool_members.service_name,
        pool_members.ticket_id as resource_id,
        pool_members.charge_category,
        cast(null as {{ dbt.type_string() }}) as surcharge_name

    from pool_members
    where pool_members.member_kind = 'support_ticket'

),

{# Each ledger row with the members behind it. -#}
ledger_members as (

    select
        ledger.cost_date,
        ledger.customer_id,
        ledger.pool_id,
        ledger.rule_name,
        ledger.currency,
        ledger.allocated_cost,
        pool_members.charge_id,
        pool_members.member_cost,
        pool_members.members_cost

    from ledger
    inner join pool_members
        on ledger.pool_id = pool_members.pool_id
        and (pool_members.member_customer_id is null or ledger.customer_id = pool_members.member_customer_id)

),

shared as (

    select
        ledger_members.*,
        case
            when ledger_members.members_cost <> 0
                then cast(ledger_members.member_cost as double) / cast(ledger_members.members_cost as double)
            else cast(0 as double)
        end as member_share

    from ledger_members

),

scaled as (

    select
        shared.*,
        {{ cost_per_customer.scale_money('shared.allocated_cost', 'shared.member_share') }} as scaled_cost

    from shared

),

{# The ledger row's cost split over its members by their cost, adding up to it exactly. -#}
apportioned as (

    select
        scaled.*,
        {{ cost_per_customer.largest_remainder(
            'scaled.scaled_cost', 'scaled.allocated_cost',
            'scaled.cost_date, scaled.customer_id, scaled.pool_id', 'abs(scaled.member_cost) desc, scaled.charge_id'
        ) }} as customer_cost

    from scaled

),

monthly as (

    select
        {{ cost_per_customer.month_start('apportioned.cost_date') }} as month,
        apportioned.customer_id,
        apportioned.charge_id,
        apportioned.currency,
        max(apportioned.rule_name) as rule_name,
        count(*) as days,
        sum(apportioned.member_cost) as charge_cost_in_pools,
        sum(apportioned.customer_cost) as customer_cost

    from apportioned
    group by 1, 2, 3, 4

),

final as (

    select
        monthly.month,
        monthly.customer_id,
        monthly.charge_id,
        charge_attributes.parent_charge_id,
        charge_attributes.charge_kind,
        charge_attributes.service_name,
        charge_attributes.resource_id,
        charge_attributes.charge_category,
        charges.charge_description,
        charge_attributes.surcharge_name,
        monthly.rule_name,
        monthly.currency,
        monthly.days,
        cast(monthly.charge_cost_in_pools as {{ cost_per_customer.money_type() }}) as charge_cost_in_pools,
        case
            when monthly.charge_cost_in_pools <> 0
                then cast(monthly.customer_cost as double) / cast(monthly.charge_cost_in_pools as double)
        end as customer_share,
        cast(monthly.customer_cost as {{ cost_per_customer.money_type() }}) as customer_cost,
        coalesce(billing_months.is_estimated, false) as is_estimated

    from monthly
    inner join charge_attributes
        on monthly.charge_id = charge_attributes.charge_id
    left join charges
        on charge_attributes.parent_charge_id = charges.charge_id
    left join billing_months
        on monthly.month = billing_months.month

)

select * from final
