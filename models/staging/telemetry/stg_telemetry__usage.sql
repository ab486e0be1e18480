{#- One row per landed telemetry record, typed, with the reason it must be quarantined (NULL if good). -#}
with

source_rows as (

    select * from {{ source('telemetry', 'usage') }}

),

typed as (

    select
        source_rows._decimal_mark,
        source_rows._source_file as source_file,
        source_rows._source_row as source_row,
        {{ cost_per_customer.clean_text('customer_id') }} as customer_id,
        lower({{ cost_per_customer.clean_text('metric') }}) as metric,
        {{ cost_per_customer.clean_text('service_name') }} as service_name,
        {{ cost_per_customer.clean_text('resource_id') }} as resource_id,
        {{ cost_per_customer.clean_text('region_id') }} as region_id,
        {{ cost_per_customer.clean_text('sub_account_id') }} as sub_account_id,
        source_rows.quantity as quantity_raw,
        source_rows.usage_date as usage_date_raw,
        {{ cost_per_customer.parse_decimal('quantity') }} as quantity,
        {{ cost_per_customer.parse_date('usage_date') }} as usage_date

    from source_rows

),

classified as (

    select
        typed.*,
        case
            when typed.usage_date is null then 'unparseable usage_date'
            when typed.metric is null then 'missing metric'
            when typed.quantity is null
                then concat(
                    'unparseable quantity',
                    {{ cost_per_customer.decimal_problem('typed.quantity_raw', 'typed._decimal_mark') }}
                )
            when typed.quantity < 0 then 'negative quantity'
        end as quarantine_reason

    from typed

)

select * from classified
