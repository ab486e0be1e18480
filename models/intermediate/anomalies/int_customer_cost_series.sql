{#- One row per customer x scope x day from the scope's first day with cost to the ledger's last
    day, zero-filled: the series the anomaly baselines read; see _anomalies__models.yml. -#}
with

ledger as (

    select * from {{ ref('customer_costs_daily') }}

),

{# The cost the customer's consumption drives (cpc_anomaly_charge_categories): purchases, taxes,
    credits and support tickets arrive as lumps by nature and are not watched. -#}
watched as (

    select * from ledger
    where charge_category in (
        {%- for category in var('cpc_anomaly_charge_categories') %}
        '{{ category }}'{{ ',' if not loop.last }}
        {%- endfor %}
    )

),

customers as (

    select * from {{ ref('customers') }}

),

ledger_days as (

    select distinct ledger.cost_date
    from ledger

),

{# The customer's total, and each cost category as a scope of its own. -#}
scoped as (

    select
        watched.cost_date,
        watched.customer_id,
        watched.currency,
        'total' as scope,
        watched.allocated_cost

    from watched

    union all

    select
        watched.cost_date,
        watched.customer_id,
        watched.currency,
        watched.cost_category as scope,
        watched.allocated_cost

    from watched

),

daily as (

    select
        scoped.cost_date,
        scoped.customer_id,
        scoped.currency,
        scoped.scope,
        sum(scoped.allocated_cost) as observed_cost

    from scoped
    group by 1, 2, 3, 4

),

scope_first_days as (

    select
        daily.customer_id,
        daily.currency,
        daily.scope,
        min(daily.cost_date) as scope_first_date

    from daily
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

    select min(ledger_days.cost_date) as ledger_first_date
    from ledger_days

),

{# Every day of the ledger from the scope's first day (and the customer's start) on; a day
    without cost is 0. -#}
spine as (

    select
        ledger_days.cost_date,
        scope_first_days.customer_id,
        scope_first_days.currency,
        scope_first_days.scope,
        scope_first_days.scope_first_date,
        customer_starts.customer_start_date

    from scope_first_days
    inner join customer_starts
        on scope_first_days.customer_id = customer_starts.customer_id
        and scope_first_days.currency = customer_starts.currency
    inner join ledger_days
        on scope_first_days.scope_first_date <= ledger_days.cost_date
        and customer_starts.customer_start_date <= ledger_days.cost_date

),

series as (

    select
        spine.cost_date,
        spine.customer_id,
        spine.scope,
        spine.currency,
        {{ cost_per_customer.day_number('spine.cost_date') }} as day_number,
        cast(coalesce(daily.observed_cost, 0) as {{ cost_per_customer.money_type() }}) as observed_cost,
        spine.scope_first_date,
        spine.customer_start_date,
        ledger_window.ledger_first_date

    from spine
    cross join ledger_window
    left join daily
        on spine.cost_date = daily.cost_date
        and spine.customer_id = daily.customer_id
        and spine.currency = daily.currency
        and spine.scope = daily.scope

),

{# The day before and the same weekday a week before (NULL when the series has no such day). -#}
with_previous as (

    select
        series.*,
        lag(series.observed_cost) over (
            partition by series.customer_id, series.currency, series.scope order by series.cost_date
        ) as previous_day_cost,
        lag(series.day_number, 7) over (
            partition by series.customer_id, series.currency, series.scope order by series.cost_date
        ) as week_before_day_number,
        lag(series.observed_cost, 7) over (
            partition by series.customer_id, series.currency, series.scope order by series.cost_date
        ) as week_before_cost

    from series

),

final as (

    select
        with_previous.cost_date,
        with_previous.customer_id,
        with_previous.scope,
        with_previous.currency,
        with_previous.day_number,
        with_previous.observed_cost,
        with_previous.previous_day_cost,
        case
            when with_previous.week_before_day_number = with_previous.day_number - 7
                then with_previous.observed_cost - with_previous.week_before_cost
        end as week_over_week_change,
        with_previous.scope_first_date,
        with_previous.customer_start_date,
        with_previous.ledger_first_date

    from with_previous

)

select * from final
