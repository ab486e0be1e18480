{#- Every amount is converted to the reporting currency: each charge-day, each quarantined billing
    row with a readable cost and each support ticket with a support rate, when in another currency,
    needs an exchange rate on its day (published that day or at most fx_max_gap_days earlier, see
    int_fx_rates_daily; an undated quarantined row takes the currency's latest rate). Returns one
    row per currency lacking a rate: the first and last day without one, how many such days and
    rows, the last rate published before the first of them and how old it was then, the gap
    allowed, and an example file:row. (An amount whose conversion failed although a rate exists,
    e.g. by overflow, is reported too.) -#}
with

charge_days as (

    select
        source_currency as currency,
        cost_date,
        charge_id as example_row
    from {{ ref('int_charges_prorated') }}
    where (effective_cost is null and effective_cost_in_source_currency is not null)
        or (billed_cost is null and billed_cost_in_source_currency is not null)
        or (list_cost is null and list_cost_in_source_currency is not null)

),

quarantined_billing_rows as (

    select
        currency,
        cost_date,
        concat(source_file, ':', cast(source_row as {{ dbt.type_string() }})) as example_row
    from {{ ref('quarantined_rows') }}
    where input_name = 'billing'
        and effective_cost is not null
        and effective_cost_in_reporting_currency is null

),

support_tickets as (

    select
        source_currency as currency,
        cost_date,
        concat(source_file, ':', cast(source_row as {{ dbt.type_string() }})) as example_row
    from {{ ref('int_support_costs') }}
    where hourly_rate is not null and support_cost is null

),

unconverted as (

    select * from charge_days
    union all
    select * from quarantined_billing_rows
    union all
    select * from support_tickets

),

by_currency as (

    select
        unconverted.currency,
        min(unconverted.cost_date) as first_day_without_rate,
        max(unconverted.cost_date) as last_day_without_rate,
        count(distinct unconverted.cost_date) as days_without_rate,
        count(*) as rows_without_rate,
        min(unconverted.example_row) as example_row

    from unconverted
    group by unconverted.currency

),

published as (

    select
        currency,
        rate_date
    from {{ ref('stg_finance__fx_rates') }}
    where quarantine_reason is null

),

explained as (

    select
        by_currency.currency,
        by_currency.first_day_without_rate,
        by_currency.last_day_without_rate,
        by_currency.example_row,
        max(published.rate_date) as last_rate_date_before,
        {{ cost_per_customer.days_between('max(published.rate_date)', 'by_currency.first_day_without_rate') }} as days_since_last_rate,
        {{ cost_per_customer.fx_max_gap_days() }} as fx_max_gap_days,
        by_currency.days_without_rate,
        by_currency.rows_without_rate

    from by_currency
    left join published
        on by_currency.currency = published.currency
        and by_currency.first_day_without_rate >= published.rate_date
    group by
        by_currency.currency,
        by_currency.first_day_without_rate,
        by_currency.last_day_without_rate,
        by_currency.days_without_rate,
        by_currency.rows_without_rate,
        by_currency.example_row

)

select * from explained
order by currency
