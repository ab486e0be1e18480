{#- One row per input record rejected by staging, from any input: the file, the record number, the
    reason and the money it carried (when readable). Nothing rejected is dropped silently: billing
    rows' cost reaches fct_unattributed_costs as quarantined_input. -#}
with

charges as (

    select * from {{ ref('stg_focus__charges') }}
    where quarantine_reason is not null

),

usage_rows as (

    select * from {{ ref('stg_telemetry__usage') }}
    where quarantine_reason is not null

),

customers as (

    select * from {{ ref('stg_telemetry__customers') }}
    where quarantine_reason is not null

),

revenue as (

    select * from {{ ref('stg_telemetry__revenue') }}
    where quarantine_reason is not null

),

unioned as (

    select
        'billing' as input_name,
        charges.source_file,
        charges.source_row,
        charges.quarantine_reason,
        concat('ChargePeriodStart=', coalesce(charges.charge_period_start_raw, ''),
            '; ChargePeriodEnd=', coalesce(charges.charge_period_end_raw, ''),
            '; EffectiveCost=', coalesce(charges.effective_cost_raw, '')) as raw_values,
        charges.billing_currency as currency,
        charges.effective_cost,
        coalesce(
            cast(charges.charge_period_start_at as date),
            cast(charges.charge_period_end_at as date),
            cast(charges.billing_period_start_at as date)
        ) as cost_date

    from charges

    union all

    select
        'usage' as input_name,
        usage_rows.source_file,
        usage_rows.source_row,
        usage_rows.quarantine_reason,
        concat('usage_date=', coalesce(usage_rows.usage_date_raw, ''),
            '; metric=', coalesce(usage_rows.metric, ''),
            '; quantity=', coalesce(usage_rows.quantity_raw, '')) as raw_values,
        cast(null as {{ dbt.type_string() }}) as currency,
        cast(null as {{ cost_per_customer.money_type() }}) as effective_cost,
        usage_rows.usage_date as cost_date

    from usage_rows

    union all

    select
        'customers' as input_name,
        customers.source_file,
        customers.source_row,
        customers.quarantine_reason,
        concat('customer_id=', coalesce(customers.customer_id, ''),
            '; segment=', coalesce(customers.segment, ''),
            '; active_from=', coalesce(customers.active_from_raw, ''),
            '; active_to=', coalesce(customers.active_to_raw, '')) as raw_values,
        cast(null as {{ dbt.type_string() }}) as currency,
        cast(null as {{ cost_per_customer.money_type() }}) as effective_cost,
        cast(null as date) as cost_date

    from customers

    union all

    select
        'revenue' as input_name,
        revenue.source_file,
        revenue.source_row,
        revenue.quarantine_reason,
        concat('customer_id=', coalesce(revenue.customer_id, ''),
            '; month=', coalesce(revenue.month_raw, ''),
            '; revenue=', coalesce(revenue.revenue_raw, '')) as raw_values,
        revenue.revenue_currency as currency,
        cast(null as {{ cost_per_customer.money_type() }}) as effective_cost,
        revenue.revenue_month as cost_date

    from revenue

)

select * from unioned
