{#- One row per day x service x metric x driver level x known customer x feature: the part of the
    customer's driver quantity (int_usage_drivers_daily) that each feature drove; telemetry without
    a feature is 'unassigned'. A customer's rows add up to its quantity in int_usage_drivers_daily.
    Kept day by day, as int_usage_drivers_daily is. -#}
{{ config(**cost_per_customer.day_ledger_config()) }}
with

driver_rows as (

    select * from {{ ref('int_usage_driver_rows') }}
    where customer_id is not null
        and {{ cost_per_customer.in_days_to_process('cost_date') }}

),

summed as (

    select
        driver_rows.cost_date,
        driver_rows.service_name,
        driver_rows.metric,
        driver_rows.driver_level,
        driver_rows.driver_value,
        driver_rows.customer_id,
        coalesce(driver_rows.feature, 'unassigned') as feature,
        sum(driver_rows.quantity) as quantity

    from driver_rows
    group by 1, 2, 3, 4, 5, 6, 7
    having sum(driver_rows.quantity) > 0

)

select * from summed
