{#- Support tickets priced at their tier's rate of the day, in the reporting currency. -#}
with

tickets as (

    select * from {{ ref('stg_business__support_tickets') }}
    where quarantine_reason is null

),

rates as (

    select * from {{ ref('stg_business__support_rates') }}
    where quarantine_reason is null

),

customers as (

    select * from {{ ref('stg_business__customers') }}
    where quarantine_reason is null

),

fx_rates as (

    select * from {{ ref('int_fx_rates_daily') }}

),

rated as (

    select
        tickets.ticket_id,
        tickets.source_file,
        tickets.source_row,
        tickets.cost_date,
        tickets.agent_tier,
        tickets.customer_id as ticket_customer_id,
        tickets.handle_minutes,
        rates.hourly_rate,
        rates.rate_currency,
        row_number() over (
            partition by tickets.ticket_id
            order by rates.effective_from_date desc nulls last, rates.source_row desc
        ) as rate_rank

    from tickets
    left join rates
        on tickets.agent_tier = rates.agent_tier
        and (rates.effective_from_date is null or tickets.cost_date >= rates.effective_from_date)
        and (rates.effective_to_date is null or tickets.cost_date < rates.effective_to_date)

),

priced as (

    select
        rated.ticket_id,
        rated.source_file,
        rated.source_row,
        rated.cost_date,
        rated.agent_tier,
        rated.ticket_customer_id,
        customers.customer_id,
        coalesce(rated.rate_currency, '{{ var("cpc_default_currency", "USD") }}') as source_currency,
        rated.handle_minutes,
        rated.hourly_rate,
        {{ cost_per_customer.scale_money(
            'rated.hourly_rate', 'cast(rated.handle_minutes as double) / 60.0'
        ) }} as support_cost_in_source_currency

    from rated
    left join customers
        on lower(rated.ticket_customer_id) = lower(customers.customer_id)
    where rated.rate_rank = 1

),

{# The ticket's cost in the reporting currency, at the rate of its day. -#}
converted as (

    select
        priced.ticket_id,
        priced.source_file,
        priced.source_row,
        priced.cost_date,
        priced.agent_tier,
        priced.ticket_customer_id,
        priced.customer_id,
        '{{ cost_per_customer.reporting_currency() }}' as currency,
        priced.handle_minutes,
        priced.hourly_rate,
        {{ cost_per_customer.convert_money(
            'priced.support_cost_in_source_currency',
            cost_per_customer.fx_rate_or_one('priced.source_currency', 'fx_rates.fx_rate')
        ) }} is not null as is_priced,
        {{ cost_per_customer.convert_money(
            'priced.support_cost_in_source_currency',
            cost_per_customer.fx_rate_or_one('priced.source_currency', 'fx_rates.fx_rate')
        ) }} as support_cost,
        priced.source_currency,
        priced.support_cost_in_source_currency,
        case
            when priced.hourly_rate is not null
                then {{ cost_per_customer.fx_rate_or_one('priced.source_currency', 'fx_rates.fx_rate') }}
        end as fx_rate

    from priced
    left join fx_rates
        on priced.source_currency = fx_rates.currency
        and priced.cost_date = fx_rates.cost_date

)

select * from converted
