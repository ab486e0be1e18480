{#- One row per UTC day x usage rule x service x metric x level (service; region or resource where
    the bill and the telemetry both carry it): the telemetry behind the rule next to the billed
    quantity in the same unit, their ratio and whether they drift apart; see _quality__models.yml.
    The quantities are summed day by day in int_telemetry_bill_quantities_daily; the tolerance
    applies here, so a new one judges every day at the next build without allocating any. -#}
{%- set tolerance = cost_per_customer.setting('cpc_reconciliation_tolerance', 0.1) -%}
with

quantities as (

    select * from {{ ref('int_telemetry_bill_quantities_daily') }}

),

compared as (

    select
        quantities.*,
        case
            when quantities.comparable_charge_day_count > 0 and quantities.billed_quantity <> 0
                then quantities.telemetry_quantity / quantities.billed_quantity
        end as telemetry_to_billed_ratio

    from quantities

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
