{#- One row per day x service x metric x driver level x customer: the telemetry quantity that drives
    usage-based allocation (see int_usage_driver_rows for the levels and service '*'). quantity is
    scaled for sampling and drives the shares; raw_quantity is the quantity as delivered and
    sampling_variance the variance sampling leaves in quantity (0 for unsampled telemetry). Kept day by
    day (day_ledger_config): a build sums again only the days it allocates. -#}
{{ config(**cost_per_customer.day_ledger_config()) }}
with

driver_rows as (

    select * from {{ ref('int_usage_driver_rows') }}
    where {{ cost_per_customer.in_days_to_process('cost_date') }}

),

summed as (

    select
        driver_rows.cost_date,
        driver_rows.service_name,
        driver_rows.metric,
        driver_rows.driver_level,
        driver_rows.driver_value,
        driver_rows.customer_id,
        case when driver_rows.customer_id is null then max(driver_rows.usage_customer_id) end as usage_customer_id,
        sum(driver_rows.quantity) as quantity,
        sum(driver_rows.raw_quantity) as raw_quantity,
        sum(driver_rows.sampling_variance) as sampling_variance

    from driver_rows
    group by 1, 2, 3, 4, 5, 6
    having sum(driver_rows.quantity) > 0

)

select * from summed
