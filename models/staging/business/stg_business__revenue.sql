{#- One row per revenue.csv record, typed, with the reason it must be quarantined (NULL if good). -#}
with

source_rows as (

    select * from {{ source('business', 'revenue') }}

),

typed as (

    select
        source_rows._decimal_mark,
        source_rows._source_file as source_file,
        source_rows._source_row as source_row,
        {{ cost_per_customer.clean_text('customer_id') }} as customer_id,
        coalesce(upper({{ cost_per_customer.clean_text('currency') }}), '{{ var("cpc_default_currency", "USD") }}') as revenue_currency,
        source_rows.month as month_raw,
        source_rows.revenue as revenue_raw,
        {{ cost_per_customer.parse_decimal('revenue') }} as revenue,
        {{ cost_per_customer.parse_month('month') }} as revenue_month

    from source_rows

),

classified as (

    select
        typed.*,
        case
            when typed.customer_id is null then 'missing customer_id'
            when typed.revenue_month is null then 'unparseable month'
            when typed.revenue is null
                then concat(
                    'unparseable revenue',
                    {{ cost_per_customer.decimal_problem('typed.revenue_raw', 'typed._decimal_mark') }}
                )
        end as quarantine_reason

    from typed

)

select * from classified
