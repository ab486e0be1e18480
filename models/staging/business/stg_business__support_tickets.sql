{#- One row per support_tickets.csv record, typed, with the reason it must be quarantined (NULL if good). -#}
with

source_rows as (

    select * from {{ source('business', 'support_tickets') }}

),

typed as (

    select
        source_rows._decimal_mark,
        source_rows._source_file as source_file,
        source_rows._source_row as source_row,
        {{ cost_per_customer.clean_text('ticket_id') }} as ticket_id,
        {{ cost_per_customer.clean_text('customer_id') }} as customer_id,
        coalesce(lower({{ cost_per_customer.clean_text('agent_tier') }}), 'default') as agent_tier,
        source_rows.opened_at as opened_at_raw,
        source_rows.handle_minutes as handle_minutes_raw,
        {{ cost_per_customer.parse_timestamp('opened_at') }} as opened_at,
        {{ cost_per_customer.parse_decimal('handle_minutes') }} as handle_minutes

    from source_rows

),

classified as (

    select
        typed.*,
        cast(typed.opened_at as date) as cost_date,
        case
            when typed.ticket_id is null then 'missing ticket_id'
            when typed.opened_at is null then 'unparseable opened_at'
            when typed.handle_minutes is null
                then concat(
                    'unparseable handle_minutes',
                    {{ cost_per_customer.decimal_problem('typed.handle_minutes_raw', 'typed._decimal_mark') }}
                )
            when typed.handle_minutes < 0 then 'negative handle_minutes'
            when row_number() over (partition by typed.ticket_id order by typed.source_file, typed.source_row) > 1
                then 'duplicate ticket_id'
        end as quarantine_reason

    from typed

)

select * from classified
