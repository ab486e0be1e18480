{#- One row per UTC day x usage rule x service x metric x level (service; region or resource where
    the bill and the telemetry both carry it): the telemetry behind the rule next to the billed
    quantity in the same unit, their ratio and whether they drift apart; see _quality__models.yml. -#}
{%- set units = cost_per_customer.setting('cpc_reconciliation_units', {}) or {} -%}
{%- set tolerance = cost_per_customer.setting('cpc_reconciliation_tolerance', 0.1) -%}
with

pools as (

    select * from {{ ref('int_cost_pools') }}
    where allocation_method = 'usage' and surcharge_name is null

),

members as (

    select * from {{ ref('int_pool_members') }}
    where member_kind = 'charge_day'

),

charges as (

    select * from {{ ref('int_charges_with_surcharges') }}

),

drivers as (

    select * from {{ ref('int_usage_drivers_daily') }}

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

compared as (

    select
        billed.*,
        telemetry.telemetry_quantity,
        case
            when billed.comparable_charge_day_count > 0 and billed.billed_quantity <> 0
                then telemetry.telemetry_quantity / billed.billed_quantity
        end as telemetry_to_billed_ratio

    from billed
    left join telemetry
        on billed.cost_date = telemetry.cost_date
        and billed.service_name = telemetry.service_name
        and billed.metric = telemetry.metric
        and billed.driver_level = telemetry.driver_level
        and billed.driver_value = telemetry.driver_value

),

final as (

    select
        compared.cost_date,
        compared.rule_name,
        compared.service_name,
        compared.metric,
        compared.driver_level,
        compared.driver_value,
        compared.billed_unit,
        case
            when compared.billed_unit is null then 'no_unit_mapping'
            when compared.comparable_charge_day_count = 0 then 'units_not_comparable'
            when compared.telemetry_to_billed_ratio is null
                or abs(compared.telemetry_to_billed_ratio - 1) > {{ tolerance }} then 'drift'
            else 'within_tolerance'
        end as reconciliation_status,
        '{{ cost_per_customer.reporting_currency() }}' as currency,
        cast(compared.effective_cost as {{ cost_per_customer.money_type() }}) as effective_cost,
        compared.charge_day_count,
        compared.comparable_charge_day_count,
        compared.telemetry_quantity,
        compared.billed_quantity,
        compared.telemetry_to_billed_ratio,
        cast({{ tolerance }} as double) as drift_tolerance,
        coalesce(compared.comparable_charge_day_count > 0 and (
            compared.telemetry_to_billed_ratio is null or abs(compared.telemetry_to_billed_ratio - 1) > {{ tolerance }}
        ), false) as is_drift

    from compared

)

select * from final
