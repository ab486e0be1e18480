{#- One row per customer x day: the month's cost to date and a month-end forecast from the
    customer's weekday pattern over the trailing days; see _budgets__models.yml and docs/budgets.md.
    Incremental where the anomaly series is (DuckDB): the days from the first day to process are
    computed again, and every day of a customer whose series start moved (pre-hook
    delete_changed_forecasts); the days before are kept. -#}
{{ config(
    materialized=cost_per_customer.kept_by_delete_materialization(),
    pre_hook="{{ cost_per_customer.delete_changed_forecasts() }}",
    on_schema_change='fail',
) }}
{%- set trailing_days = var('cpc_forecast_trailing_days') | int -%}
{%- if trailing_days < 7 -%}
    {{ exceptions.raise_compiler_error(
        "int_customer_cost_forecasts: cpc_forecast_trailing_days (" ~ trailing_days ~ ") must be at least 7") }}
{%- endif %}
{#- On an incremental build, the days from first_date are computed again. Their cost to date reads
    back to the first of first_date's month, and their trailing windows to trailing_days - 1 days
    before it: the ledger is read from the earlier of the two (read_from). -#}
{%- set first_date = cost_per_customer.first_day_to_process() %}
{%- if first_date is not none %}
    {%- set first_day = modules.datetime.date.fromisoformat(first_date) %}
    {%- set read_from = [first_day.replace(day=1), first_day - modules.datetime.timedelta(days=trailing_days - 1)] | min %}
{%- endif %}
-- depends_on: {{ ref('int_days_to_process') }}
with

starts as (

    select * from {{ ref('int_customer_cost_forecast_starts') }}

),

ledger_days as (

    select distinct ledger.cost_date
    from {{ ref('customer_costs_daily') }} as ledger

),
{%- if first_date is not none %}

{# The customers without a kept row (new, or deleted by the pre-hook) whose series starts before
    first_date: computed from their start. -#}
stored_customers as (

    select distinct
        stored.customer_id,
        stored.currency

    from {{ this }} as stored

),

recomputed as (

    select
        starts.customer_id,
        starts.currency

    from starts
    left join stored_customers
        on starts.customer_id = stored_customers.customer_id
        and starts.currency = stored_customers.currency
    where stored_customers.customer_id is null
        and starts.series_first_date < cast('{{ first_date }}' as date)

),
{%- endif %}

{# On an incremental build, the ledger from read_from, and every day of a recomputed customer. -#}
ledger as (

    {{ cost_per_customer.ledger_read_back(read_from if first_date is not none else none, 'recomputed') }}

),

daily as (

    select
        ledger.cost_date,
        ledger.customer_id,
        ledger.currency,
        sum(ledger.allocated_cost) as daily_cost

    from ledger
    group by 1, 2, 3

),

series as (

    select
        ledger_days.cost_date,
        starts.customer_id,
        starts.currency,
        {{ cost_per_customer.month_start('ledger_days.cost_date') }} as cost_month,
        {{ cost_per_customer.day_number('ledger_days.cost_date') }} as day_number,
        cast(coalesce(daily.daily_cost, 0) as {{ cost_per_customer.money_type() }}) as daily_cost

    from starts
    inner join ledger_days
        on starts.start_date <= ledger_days.cost_date
    {%- if first_date is not none %}
    left join recomputed
        on starts.customer_id = recomputed.customer_id
        and starts.currency = recomputed.currency
    {%- endif %}
    left join daily
        on ledger_days.cost_date = daily.cost_date
        and starts.customer_id = daily.customer_id
        and starts.currency = daily.currency
    {%- if first_date is not none %}
    where ledger_days.cost_date >= cast('{{ read_from }}' as date)
        or recomputed.customer_id is not null
    {%- endif %}

),

{# The month so far, and over the trailing days (the day itself included) the cost and the number
    of days on each weekday. -#}
windowed as (

    select
        series.*,
        {{ cost_per_customer.days_between('series.cost_month', 'series.cost_date') }} + 1 as day_of_month,
        {{ cost_per_customer.days_between('series.cost_month', cost_per_customer.add_months('series.cost_month', 1)) }} as days_in_month,
        {{ cost_per_customer.days_between(
            'series.cost_date', cost_per_customer.add_months('series.cost_month', 1)
        ) }} - 1 as remaining_days,
        sum(series.daily_cost) over (
            partition by series.customer_id, series.currency, series.cost_month
            order by series.cost_date rows between unbounded preceding and current row
        ) as month_to_date_cost,
        {%- for weekday in range(7) %}
        sum(case when series.day_number % 7 = {{ weekday }} then series.daily_cost end) over trailing_window as weekday_{{ weekday }}_cost,
        count(case when series.day_number % 7 = {{ weekday }} then 1 end) over trailing_window as weekday_{{ weekday }}_days,
        {%- endfor %}
        avg(series.daily_cost) over trailing_window as trailing_daily_cost,
        count(*) over trailing_window as trailing_days

    from series
    window trailing_window as (
        partition by series.customer_id, series.currency
        order by series.day_number range between {{ trailing_days - 1 }} preceding and current row
    )

),

{# Each remaining day of the month (after the day itself) is forecast at the mean of its weekday
    in the trailing days, or at the mean of all trailing days when its weekday has none there. The
    k-th day after the day has weekday (day_number + k) % 7, so weekday w first comes at
    k = (w - day_number - 1) % 7 + 1 and then every 7 days. -#}
forecast as (

    select
        windowed.*,
        windowed.month_to_date_cost
        {%- for weekday in range(7) %}
        {%- set first_day = '(((' ~ weekday ~ ' - windowed.day_number - 1) % 7 + 7) % 7 + 1)' %}
        + case
            when windowed.remaining_days >= {{ first_day }}
                then (cast(floor((windowed.remaining_days - {{ first_day }}) / 7) as integer) + 1)
                    * coalesce(
                        windowed.weekday_{{ weekday }}_cost / nullif(windowed.weekday_{{ weekday }}_days, 0),
                        windowed.trailing_daily_cost
                    )
            else 0
        end
        {%- endfor %} as forecast_month_end_cost

    from windowed

),

final as (

    select
        forecast.cost_date,
        forecast.customer_id,
        forecast.currency,
        forecast.cost_month,
        forecast.day_of_month,
        forecast.days_in_month,
        forecast.daily_cost,
        forecast.month_to_date_cost,
        forecast.trailing_days,
        cast(forecast.forecast_month_end_cost as {{ cost_per_customer.money_type() }}) as forecast_month_end_cost

    from forecast
    {%- if first_date is not none %}
    left join recomputed
        on forecast.customer_id = recomputed.customer_id
        and forecast.currency = recomputed.currency
    where forecast.cost_date >= cast('{{ first_date }}' as date)
        or recomputed.customer_id is not null
    {%- endif %}

)

select * from final
