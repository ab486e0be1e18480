{#- One row per UTC day x usage rule x service x metric x level (service; region or resource where
    the bill and the telemetry both carry it): the telemetry behind the rule next to the quantity
    billed in the metric's unit, which telemetry_bill_reconciliation compares; see
    _quality__models.yml. Kept day by day (day_ledger_config): a build sums again only the days it
    allocates (the units are in the settings fingerprint: a change allocates every day again). -#}
{%- set units = cost_per_customer.setting('cpc_reconciliation_units', {}) or {} -%}
{{ config(**cost_per_customer.day_ledger_config()) }}
-- depends_on: {{ ref('int_days_to_process') }}
with

pools as (

    select * from {{ ref('int_cost_pools') }}
    where allocation_method = 'usage' and surcharge_name is null
        and {{ cost_per_customer.in_days_to_process('cost_date') }}

),

members as (

    select * from {{ ref('int_pool_members') }}
    where member_kind = 'charge_day'
        and {{ cost_per_customer.in_days_to_process('cost_date') }}

),

charges as (

    select * from {{ ref('int_charges_with_surcharges') }}

),

drivers as (

    select * from {{ ref('int_usage_drivers_daily') }}
    where {{ cost_per_customer.in_days_to_process('cost_date') }}

),

{# Each charge-day of a usage pool with the unit its metric is counted in (allocation.yml
    `reconciliation: units`) and the part of the charge's period that falls on the day. -#}
charge_days as (

    select
        members.cost_date,
        pools.rule_name,
        pools.driver_service as service_name,
        pools.driver_metric as metric,
        pools.driver_level,
        pools.driver_value,
        {%- if units %}
        case pools.driver_metric
            {%- for metric, unit in units.items() %}
            when {{ cost_per_customer.text_literal(metric) }} then {{ cost_per_customer.text_literal(unit) }}
            {%- endfor %}
        end as billed_unit,
        {%- else %}
        cast(null as {{ dbt.type_string() }}) as billed_unit,
        {%- endif %}
        members.member_cost as effective_cost,
        charges.consumed_quantity,
        charges.consumed_unit,
        charges.pricing_quantity,
        charges.pricing_unit,
        case
            when charges.charge_period_end_at <= charges.charge_period_start_at then 1.0
            else cast({{ cost_per_customer.seconds_between(
                'greatest(charges.charge_period_start_at, ' ~ cost_per_customer.day_start('members.cost_date') ~ ')',
                'least(charges.charge_period_end_at, ' ~ cost_per_customer.day_start('members.cost_date', 1) ~ ')'
            ) }} as double)
                / cast({{ cost_per_customer.seconds_between('charges.charge_period_start_at', 'charges.charge_period_end_at') }} as double)
        end as day_fraction

    from members
    inner join pools
        on members.pool_id = pools.pool_id
    inner join charges
        on members.charge_id = charges.charge_id

),

{# The day's part of the quantity billed in that unit: ConsumedQuantity when ConsumedUnit is it,
    else PricingQuantity when PricingUnit is (units compared ignoring case and surrounding spaces). -#}
quantified as (

    select
        charge_days.*,
        case
            when lower(trim(charge_days.consumed_unit)) = lower(charge_days.billed_unit) and charge_days.consumed_quantity is not null
                then cast(charge_days.consumed_quantity as double) * charge_days.day_fraction
            when lower(trim(charge_days.pricing_unit)) = lower(charge_days.billed_unit) and charge_days.pricing_quantity is not null
                then cast(charge_days.pricing_quantity as double) * charge_days.day_fraction
        end as billed_quantity

    from charge_days

),

{# Every charge-day counts at service level ('*'), and again at the level of its pool when the
    ledger matched its telemetry by region or resource. -#}
levels as (

    select
        quantified.cost_date,
        quantified.rule_name,
        quantified.service_name,
        quantified.metric,
        'service' as driver_level,
        '*' as driver_value,
        quantified.billed_unit,
        quantified.effective_cost,
        quantified.billed_quantity
    from quantified

    union all

    select
        quantified.cost_date,
        quantified.rule_name,
        quantified.service_name,
        quantified.metric,
        quantified.driver_level,
        quantified.driver_value,
        quantified.billed_unit,
        quantified.effective_cost,
        quantified.billed_quantity
    from quantified
    where quantified.driver_level in ('region', 'resource')

),

billed as (

    select
        levels.cost_date,
        levels.rule_name,
        levels.service_name,
        levels.metric,
        levels.driver_level,
        levels.driver_value,
        levels.billed_unit,
        sum(levels.effective_cost) as effective_cost,
        count(*) as charge_day_count,
        count(levels.billed_quantity) as comparable_charge_day_count,
        sum(levels.billed_quantity) as billed_quantity

    from levels
    group by 1, 2, 3, 4, 5, 6, 7

),

{# All the telemetry of the day at that level, known customers or not. -#}
telemetry as (

    select
        drivers.cost_date,
        drivers.service_name,
        drivers.metric,
        drivers.driver_level,
        drivers.driver_value,
        cast(sum(drivers.quantity) as double) as telemetry_quantity

    from drivers
    group by 1, 2, 3, 4, 5

),

final as (

    select
        billed.cost_date,
        billed.rule_name,
        billed.service_name,
        billed.metric,
        billed.driver_level,
        billed.driver_value,
        billed.billed_unit,
        billed.effective_cost,
        billed.charge_day_count,
        billed.comparable_charge_day_count,
        telemetry.telemetry_quantity,
        billed.billed_quantity

    from billed
    left join telemetry
        on billed.cost_date = telemetry.cost_date
        and billed.service_name = telemetry.service_name
        and billed.metric = telemetry.metric
        and billed.driver_level = telemetry.driver_level
        and billed.driver_value = telemetry.driver_value

)

select * from final
