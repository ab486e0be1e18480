{#- One row per input record rejected by staging, from any input (and support tickets that no rate
    can price): the file, the record number, the reason and the money it carried (when readable). Nothing rejected is dropped silently: billing
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

support_tickets as (

    select * from {{ ref('stg_telemetry__support_tickets') }}
    where quarantine_reason is not null

),

unpriced_tickets as (

    select * from {{ ref('int_support_costs') }}
    where not is_priced

),

support_rates as (

    select * from {{ ref('stg_telemetry__support_rates') }}
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

    union all

    select
        'support_tickets' as input_name,
        support_tickets.source_file,
        support_tickets.source_row,
        support_tickets.quarantine_reason,
        concat('ticket_id=', coalesce(support_tickets.ticket_id, ''),
            '; opened_at=', coalesce(support_tickets.opened_at_raw, ''),
            '; handle_minutes=', coalesce(support_tickets.handle_minutes_raw, '')) as raw_values,
        cast(null as {{ dbt.type_string() }}) as currency,
        cast(null as {{ cost_per_customer.money_type() }}) as effective_cost,
        support_tickets.cost_date

    from support_tickets

    union all

    select
        'support_tickets' as input_name,
        unpriced_tickets.source_file,
        unpriced_tickets.source_row,
        concat('no support rate for agent_tier ', unpriced_tickets.agent_tier, ' on that day') as quarantine_reason,
        concat('ticket_id=', unpriced_tickets.ticket_id,
            '; handle_minutes=', cast(unpriced_tickets.handle_minutes as {{ dbt.type_string() }})) as raw_values,
        cast(null as {{ dbt.type_string() }}) as currency,
        cast(null as {{ cost_per_customer.money_type() }}) as effective_cost,
        unpriced_tickets.cost_date

    from unpriced_tickets

    union all

    select
        'support_rates' as input_name,
        support_rates.source_file,
        support_rates.source_row,
        support_rates.quarantine_reason,
        concat('agent_tier=', support_rates.agent_tier,
            '; hourly_rate=', coalesce(support_rates.hourly_rate_raw, ''),
            '; effective_from=', coalesce(support_rates.effective_from_raw, ''),
            '; effective_to=', coalesce(support_rates.effective_to_raw, '')) as raw_values,
        support_rates.rate_currency as currency,
        cast(null as {{ cost_per_customer.money_type() }}) as effective_cost,
        cast(null as date) as cost_date

    from support_rates

)

select * from unioned
