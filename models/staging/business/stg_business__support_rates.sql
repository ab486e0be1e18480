{#- One row per support_rates.csv record (agent tier → cost per hour, with an effective window),
    typed, with the reason it must be quarantined (NULL if good). -#}
with

source_rows as (

    select * from {{ source('business', 'support_rates') }}

),

typed as (

    select
        source_rows._decimal_mark,
        source_rows._source_file as source_file,
        source_rows._source_row as source_row,
        coalesce(lower({{ cost_per_customer.clean_text('agent_tier') }}), 'default') as agent_tier,
        coalesce(upper({{ cost_per_customer.clean_text('currency') }}), '{{ var("cpc_default_currency", "USD") }}') as rate_currency,
        source_rows.hourly_rate as hourly_rate_raw,
        source_rows.effective_from as effective_from_raw,
        source_rows.effective_to as effective_to_raw,
        {{ cost_per_customer.parse_decimal('hourly_rate') }} as hourly_rate,
        {{ cost_per_customer.parse_date('effective_from') }} as effective_from_date,
        {{ cost_per_customer.parse_date('effective_to') }} as effective_to_date

    from source_rows

),

classified as (

    select
        typed.*,
        case
            when typed.hourly_rate is null
                then concat(
                    'unparseable hourly_rate',
                    {{ cost_per_customer.decimal_problem('typed.hourly_rate_raw', 'typed._decimal_mark') }}
                )
            when typed.hourly_rate < 0 then 'negative hourly_rate'
            when typed.effective_from_date is null and {{ cost_per_customer.clean_text('typed.effective_from_raw') }} is not null
                then 'unparseable effective_from'
            when typed.effective_to_date is null and {{ cost_per_customer.clean_text('typed.effective_to_raw') }} is not null
                then 'unparseable effective_to'
            when typed.effective_to_date <= typed.effective_from_date then 'effective_to not after effective_from'
        end as quarantine_reason

    from typed

)

select * from classified
