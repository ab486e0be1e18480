{#- One row per customer of customers.csv (rows quarantined by staging are in quarantined_rows). -#}
with

customers as (

    select * from {{ ref('stg_business__customers') }}
    where quarantine_reason is null

),

final as (

    select
        customers.customer_id,
        customers.customer_name,
        customers.segment,
        customers.region_id,
        customers.active_from_date,
        customers.active_to_date

    from customers

)

select * from final
