{#- One row per quarantined billing row that counts, with its cost in the reporting currency. -#}
with

charges as (

    select * from {{ ref('int_charges_deduplicated') }}
    where quarantine_reason is not null and superseded_reason is null

),

fx_rate_records as (

    select * from {{ ref('stg_finance__fx_rates') }}
    where quarantine_reason is null

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
    ) as ranked
    where ranked.recency_rank = 1

),

dated_charges as (

    select
        charges.source_file,
        charges.source_row,
        charges.quarantine_reason,
        charges.charge_period_start_raw,
        charges.charge_period_end_raw,
        charges.effective_cost_raw,
        charges.billing_currency,
        charges.effective_cost,
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

converted as (

    select
        rated_charges.source_file,
        rated_charges.source_row,
        rated_charges.quarantine_reason,
        rated_charges.charge_period_start_raw,
        rated_charges.charge_period_end_raw,
        rated_charges.effective_cost_raw,
        rated_charges.billing_currency,
        rated_charges.effective_cost,
        case when rated_charges.effective_cost is not null then rated_charges.fx_rate end as fx_rate,
        {{ cost_per_customer.convert_money(
            'rated_charges.effective_cost', 'rated_charges.fx_rate'
        ) }} as effective_cost_in_reporting_currency,
        rated_charges.cost_date

    from rated_charges

)

select * from converted
