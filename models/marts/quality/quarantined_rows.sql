{#- One row per input record rejected by staging, from any input (and support tickets that no rate
    can price): the file, the record number, the reason and the money it carried (when readable).
    Nothing rejected is dropped silently: billing rows' cost reaches unattributed_costs_daily as
    quarantined_input, converted to the reporting currency at the rate of the row's date (its
    charge period start, else end, else billing period start); a row with no readable date converts
    at the latest rate published for its currency. -#}
{%- set reporting_currency = cost_per_customer.reporting_currency() -%}
with

charges as (

    select * from {{ ref('int_charges_deduplicated') }}
    where quarantine_reason is not null and superseded_reason is null

),

usage_rows as (

    select * from {{ ref('stg_telemetry__usage') }}
    where quarantine_reason is not null

),

customers as (

    select * from {{ ref('stg_business__customers') }}
    where quarantine_reason is not null

),

revenue as (

    select * from {{ ref('stg_business__revenue') }}
    where quarantine_reason is not null

),

support_tickets as (

    select * from {{ ref('stg_business__support_tickets') }}
    where quarantine_reason is not null

),

unpriced_tickets as (

    select * from {{ ref('int_support_costs') }}
    where not is_priced

),

support_rates as (

    select * from {{ ref('stg_business__support_rates') }}
    where quarantine_reason is not null

),

fx_rate_records as (

    select * from {{ ref('stg_finance__fx_rates') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_daily') }}

),

{# The latest rate published for each currency: the rate of billing rows with no readable date. -#}
latest_fx_rates as (

    select
        ranked.currency,
        ranked.fx_rate

    from (
        select
            fx_rate_records.currency,
            fx_rate_records.fx_rate,
            row_number() over (
                partition by fx_rate_records.currency
                order by fx_rate_records.rate_date desc, fx_rate_records.source_file asc, fx_rate_records.source_row asc
            ) as recency_rank
        from fx_rate_records
        where fx_rate_records.quarantine_reason is null
    ) as ranked
    where ranked.recency_rank = 1

),

dated_charges as (

    select
        charges.*,
        coalesce(
            cast(charges.charge_period_start_at as date),
            cast(charges.charge_period_end_at as date),
            cast(charges.billing_period_start_at as date)
        ) as cost_date

    from charges

),

{# The rate of the row's date (or the latest one when it has none; 1 for the reporting currency). -#}
rated_charges as (

    select
        dated_charges.*,
        {{ cost_per_customer.fx_rate_or_one(
            'dated_charges.billing_currency',
            'case when dated_charges.cost_date is null then latest_fx_rates.fx_rate else fx_rates.fx_rate end'
        ) }} as fx_rate

    from dated_charges
    left join fx_rates
        on dated_charges.billing_currency = fx_rates.currency
        and dated_charges.cost_date = fx_rates.cost_date
    left join latest_fx_rates
        on dated_charges.billing_currency = latest_fx_rates.currency

),

k8s_usage_rows as (

    select * from {{ ref('stg_kubernetes__usage') }}
    where quarantine_reason is not null

),

k8s_namespace_rows as (

    select * from {{ ref('stg_kubernetes__namespaces') }}
    where quarantine_reason is not null

),

unioned as (

    select
        'billing' as input_name,
        rated_charges.source_file,
        rated_charges.source_row,
        rated_charges.quarantine_reason,
        concat('ChargePeriodStart=', coalesce(rated_charges.charge_period_start_raw, ''),
            '; ChargePeriodEnd=', coalesce(rated_charges.charge_period_end_raw, ''),
            '; EffectiveCost=', coalesce(rated_charges.effective_cost_raw, '')) as raw_values,
        rated_charges.billing_currency as currency,
        rated_charges.effective_cost,
        rated_charges.cost_date,
        case when rated_charges.effective_cost is not null then rated_charges.fx_rate end as fx_rate,
        {{ cost_per_customer.convert_money(
            'rated_charges.effective_cost', 'rated_charges.fx_rate'
        ) }} as effective_cost_in_reporting_currency

    from rated_charges

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
        usage_rows.usage_date as cost_date,
        cast(null as {{ cost_per_customer.fx_rate_type() }}) as fx_rate,
        cast(null as {{ cost_per_customer.money_type() }}) as effective_cost_in_reporting_currency

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
        cast(null as date) as cost_date,
        cast(null as {{ cost_per_customer.fx_rate_type() }}) as fx_rate,
        cast(null as {{ cost_per_customer.money_type() }}) as effective_cost_in_reporting_currency

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
        revenue.revenue_month as cost_date,
        cast(null as {{ cost_per_customer.fx_rate_type() }}) as fx_rate,
        cast(null as {{ cost_per_customer.money_type() }}) as effective_cost_in_reporting_currency

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
        support_tickets.cost_date,
        cast(null as {{ cost_per_customer.fx_rate_type() }}) as fx_rate,
        cast(null as {{ cost_per_customer.money_type() }}) as effective_cost_in_reporting_currency

    from support_tickets

    union all

    select
        'support_tickets' as input_name,
        unpriced_tickets.source_file,
        unpriced_tickets.source_row,
        case
            when unpriced_tickets.hourly_rate is null
                then concat('no support rate for agent_tier ', unpriced_tickets.agent_tier, ' on that day')
            else concat('no ', unpriced_tickets.source_currency, ' exchange rate on that day')
        end as quarantine_reason,
        concat('ticket_id=', unpriced_tickets.ticket_id,
            '; handle_minutes=', cast(unpriced_tickets.handle_minutes as {{ dbt.type_string() }})) as raw_values,
        case when unpriced_tickets.hourly_rate is not null then unpriced_tickets.source_currency end as currency,
        cast(null as {{ cost_per_customer.money_type() }}) as effective_cost,
        unpriced_tickets.cost_date,
        cast(null as {{ cost_per_customer.fx_rate_type() }}) as fx_rate,
        cast(null as {{ cost_per_customer.money_type() }}) as effective_cost_in_reporting_currency

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
        cast(null as date) as cost_date,
        cast(null as {{ cost_per_customer.fx_rate_type() }}) as fx_rate,
        cast(null as {{ cost_per_customer.money_type() }}) as effective_cost_in_reporting_currency

    from support_rates

    union all

    select
        'fx_rates' as input_name,
        fx_rate_records.source_file,
        fx_rate_records.source_row,
        fx_rate_records.quarantine_reason,
        concat('date=', coalesce(fx_rate_records.rate_date_raw, ''),
            '; currency=', coalesce(fx_rate_records.currency, ''),
            '; rate=', coalesce(fx_rate_records.rate_raw, '')) as raw_values,
        fx_rate_records.currency,
        cast(null as {{ cost_per_customer.money_type() }}) as effective_cost,
        fx_rate_records.rate_date as cost_date,
        cast(null as {{ cost_per_customer.fx_rate_type() }}) as fx_rate,
        cast(null as {{ cost_per_customer.money_type() }}) as effective_cost_in_reporting_currency

    from fx_rate_records
    where fx_rate_records.quarantine_reason is not null

    union all

    select
        'k8s_usage' as input_name,
        k8s_usage_rows.source_file,
        k8s_usage_rows.source_row,
        k8s_usage_rows.quarantine_reason,
        concat('interval_start=', coalesce(k8s_usage_rows.interval_start_raw, ''),
            '; interval_end=', coalesce(k8s_usage_rows.interval_end_raw, ''),
            '; node_id=', coalesce(k8s_usage_rows.node_id, ''),
            '; namespace=', coalesce(k8s_usage_rows.namespace, ''),
            '; cpu_request_cores=', coalesce(k8s_usage_rows.cpu_request_cores_raw, ''),
            '; cpu_usage_cores=', coalesce(k8s_usage_rows.cpu_usage_cores_raw, ''),
            '; memory_request_bytes=', coalesce(k8s_usage_rows.memory_request_bytes_raw, ''),
            '; memory_usage_bytes=', coalesce(k8s_usage_rows.memory_usage_bytes_raw, '')) as raw_values,
        cast(null as {{ dbt.type_string() }}) as currency,
        cast(null as {{ cost_per_customer.money_type() }}) as effective_cost,
        cast(k8s_usage_rows.interval_start_at as date) as cost_date,
        cast(null as {{ cost_per_customer.fx_rate_type() }}) as fx_rate,
        cast(null as {{ cost_per_customer.money_type() }}) as effective_cost_in_reporting_currency

    from k8s_usage_rows

    union all

    select
        'k8s_namespaces' as input_name,
        k8s_namespace_rows.source_file,
        k8s_namespace_rows.source_row,
        k8s_namespace_rows.quarantine_reason,
        concat('cluster_id=', coalesce(k8s_namespace_rows.cluster_id, ''),
            '; namespace=', coalesce(k8s_namespace_rows.namespace, ''),
            '; customer_id=', coalesce(k8s_namespace_rows.customer_id, '')) as raw_values,
        cast(null as {{ dbt.type_string() }}) as currency,
        cast(null as {{ cost_per_customer.money_type() }}) as effective_cost,
        cast(null as date) as cost_date,
        cast(null as {{ cost_per_customer.fx_rate_type() }}) as fx_rate,
        cast(null as {{ cost_per_customer.money_type() }}) as effective_cost_in_reporting_currency

    from k8s_namespace_rows

)

select * from unioned
