{#- One row per customers.csv record, typed, with the reason it must be quarantined (NULL if good).
    Customer ids are matched case-insensitively everywhere (tags, telemetry, tickets, revenue), so
    two ids that differ only in case are one customer: the second is quarantined. -#}
with

source_rows as (

    select * from {{ source('business', 'customers') }}

),

typed as (

    select
        source_rows._source_file as source_file,
        source_rows._source_row as source_row,
        {{ cost_per_customer.clean_text('customer_id') }} as customer_id,
        coalesce({{ cost_per_customer.clean_text('customer_name') }}, {{ cost_per_customer.clean_text('customer_id') }}) as customer_name,
        {{ cost_per_customer.segment_name('segment') }} as segment,
        {{ cost_per_customer.clean_text('region') }} as region_id,
        source_rows.active_from as active_from_raw,
        source_rows.active_to as active_to_raw,
        {{ cost_per_customer.parse_date('active_from') }} as active_from_date,
        {{ cost_per_customer.parse_date('active_to') }} as active_to_date

    from source_rows

),

classified as (

    select
        typed.*,
        case
            when typed.customer_id is null then 'missing customer_id'
            when typed.segment is null then 'missing segment'
            when typed.active_from_date is null and {{ cost_per_customer.clean_text('typed.active_from_raw') }} is not null
                then 'unparseable active_from'
            when typed.active_to_date is null and {{ cost_per_customer.clean_text('typed.active_to_raw') }} is not null
                then 'unparseable active_to'
            when typed.active_to_date <= typed.active_from_date then 'active_to not after active_from'
            when count(*) over (partition by lower(typed.customer_id)) > 1
                and row_number() over (partition by lower(typed.customer_id) order by typed.source_file, typed.source_row) > 1
                then case
                    when typed.customer_id = first_value(typed.customer_id) over (
                        partition by lower(typed.customer_id) order by typed.source_file, typed.source_row
                    ) then 'duplicate customer_id'
                    else concat(
                        'duplicate customer_id: ids are matched case-insensitively and ',
                        first_value(typed.customer_id) over (
                            partition by lower(typed.customer_id) order by typed.source_file, typed.source_row
                        ),
                        ' came first'
                    )
                end
        end as quarantine_reason

    from typed

)

select * from classified
