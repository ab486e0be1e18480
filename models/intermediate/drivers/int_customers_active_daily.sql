{#- One row per customer per UTC day on which the customer is active: it has telemetry that day, or
    the day lies in [active_from, active_to) of customers.csv (a customer with neither date is active
    on every day of the bill). The days are those the bill's charges touch. -#}
with

customers as (

    select * from {{ ref('stg_business__customers') }}
    where quarantine_reason is null

),

{# The customers each telemetry file shows using something each day (its good rows, summed). -#}
usage_days as (

    select * from {{ ref('int_usage_customer_days_summed') }}

),

{# The charges themselves, not their days (int_charges_prorated, kept day by day, is built from the
    days to process, which these days decide): the first day a charge touches is its start's, the
    last its period_last_day. A surcharge spans its charge's period, so the bill's own charges
    give the window. -#}
charges as (

    select * from {{ ref('int_charges_allocatable') }}

),

bill_window as (

    select
        min(cast(charges.charge_period_start_at as date)) as first_date,
        max({{ cost_per_customer.period_last_day('charges.charge_period_start_at', 'charges.charge_period_end_at') }}) as last_date

    from charges

),

bill_days as (

    select
        {{ cost_per_customer.explode_days(
            cost_per_customer.day_start('bill_window.first_date'),
            cost_per_customer.day_start('bill_window.last_date', 1)
        ) }} as cost_date

    from bill_window
    where bill_window.first_date is not null

),

days_in_window as (

    select
        bill_days.cost_date,
        customers.customer_id

    from customers
    inner join bill_days
        on (customers.active_from_date is null or customers.active_from_date <= bill_days.cost_date)
        and (customers.active_to_date is null or customers.active_to_date > bill_days.cost_date)

),

days_with_usage as (

    select distinct
        usage_days.usage_date as cost_date,
        customers.customer_id

    from usage_days
    inner join customers
        on usage_days.customer_key = lower(customers.customer_id)
    inner join bill_days
        on usage_days.usage_date = bill_days.cost_date

),

active_days as (

    select
        days_in_window.cost_date,
        days_in_window.customer_id
    from days_in_window
    union
    select
        days_with_usage.cost_date,
        days_with_usage.customer_id
    from days_with_usage

)

select * from active_days
