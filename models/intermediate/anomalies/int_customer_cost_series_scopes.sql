{#- One row per customer x currency x scope of the anomaly series: the days its series starts from,
    and the settings it is computed with; see _anomalies__models.yml. -#}
with

ledger as (

    select * from {{ ref('customer_costs_daily') }}

),

watched as (

    select * from ledger
    where {{ cost_per_customer.is_watched_charge('ledger.charge_category') }}

),

customers as (

    select * from {{ ref('customers') }}

),

{# The customer's total, and each cost category as a scope of its own. -#}
scope_first_days as (

    select
        watched.customer_id,
        watched.currency,
        'total' as scope,
        min(watched.cost_date) as scope_first_date

    from watched
    group by 1, 2, 3

    union all

    select
        watched.customer_id,
        watched.currency,
        watched.cost_category as scope,
        min(watched.cost_date) as scope_first_date

    from watched
    group by 1, 2, 3

),

{# A customer starts on its first day of watched cost, or on its active_from day when that is
    later (cost placed on it before its window, by a fixed rule say, is not its own usage). -#}
customer_starts as (

    select
        scope_first_days.customer_id,
        scope_first_days.currency,
        case
            when customers.active_from_date > scope_first_days.scope_first_date then customers.active_from_date
            else scope_first_days.scope_first_date
        end as customer_start_date

    from scope_first_days
    inner join customers
        on scope_first_days.customer_id = customers.customer_id
    where scope_first_days.scope = 'total'

),

ledger_window as (

    select min(ledger.cost_date) as ledger_first_date
    from ledger

),

final as (

    select
        scope_first_days.customer_id,
        scope_first_days.currency,
        scope_first_days.scope,
        scope_first_days.scope_first_date,
        customer_starts.customer_start_date,
        case
            when customer_starts.customer_start_date > scope_first_days.scope_first_date
                then customer_starts.customer_start_date
            else scope_first_days.scope_first_date
        end as series_start_date,
        ledger_window.ledger_first_date,
        '{{ cost_per_customer.anomaly_settings_fingerprint() }}' as settings_fingerprint

    from scope_first_days
    inner join customer_starts
        on scope_first_days.customer_id = customer_starts.customer_id
        and scope_first_days.currency = customer_starts.currency
    cross join ledger_window

)

select * from final
