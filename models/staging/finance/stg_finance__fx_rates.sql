{#- One row per fx_rates.csv record (a day's exchange rate of a currency into the reporting
    currency), typed, with the reason it must be quarantined (NULL if good). -#}
{%- set reporting_currency = cost_per_customer.reporting_currency() -%}
with

source_rows as (

    select * from {{ source('finance', 'fx_rates') }}

),

typed as (

    select
        source_rows._decimal_mark,
        source_rows._source_file as source_file,
        source_rows._source_row as source_row,
        upper({{ cost_per_customer.clean_text('source_rows.currency') }}) as currency,
        source_rows.date as rate_date_raw,
        source_rows.rate as rate_raw,
        {{ cost_per_customer.parse_fx_rate('source_rows.rate') }} as fx_rate,
        {{ cost_per_customer.parse_date('source_rows.date') }} as rate_date

    from source_rows

),

{# What is wrong with the record on its own. -#}
checked as (

    select
        typed.*,
        case
            when typed.rate_date is null then 'missing or unparseable date'
            when typed.currency is null then 'missing currency'
            when typed.fx_rate is null
                then concat(
                    'missing or unparseable rate',
                    {{ cost_per_customer.decimal_problem('typed.rate_raw', 'typed._decimal_mark') }}
                )
            when typed.fx_rate <= 0 then 'rate not positive'
            when typed.currency = '{{ reporting_currency }}' and typed.fx_rate <> 1
                then 'the reporting currency {{ reporting_currency }} converts at 1'
        end as record_problem

    from typed

),

{# Good records of the same date and currency must agree on the rate (repeats of one rate are fine). -#}
compared as (

    select
        checked.*,
        min(case when checked.record_problem is null then checked.fx_rate end)
            over (partition by checked.rate_date, checked.currency) as lowest_rate_that_day,
        max(case when checked.record_problem is null then checked.fx_rate end)
            over (partition by checked.rate_date, checked.currency) as highest_rate_that_day

    from checked

),

classified as (

    select
        compared.source_file,
        compared.source_row,
        compared.currency,
        compared.rate_date_raw,
        compared.rate_raw,
        compared.fx_rate,
        compared.rate_date,
        coalesce(
            compared.record_problem,
            case
                when compared.lowest_rate_that_day <> compared.highest_rate_that_day
                    then 'conflicting rates for the same date and currency'
            end
        ) as quarantine_reason

    from compared

)

select * from classified
