{#- One row per customer x currency with a forecast series: the day the series starts and its first
    ledger day; see _budgets__models.yml. Read whole on every build (one grouping of the ledger), so
    that a kept forecast whose start moved is found (delete_changed_forecasts). -#}
with

ledger as (

    select * from {{ ref('customer_costs_daily') }}

),

budgets as (

    select * from {{ ref('int_customer_budgets_monthly') }}

),

ledger_days as (

    select distinct ledger.cost_date
    from ledger

),

{# A customer's series starts on its first day of cost, or on the first day of a month it has a
    budget for, whichever is earlier. -#}
start_candidates as (

    select
        ledger.customer_id,
        ledger.currency,
        min(ledger.cost_date) as start_date

    from ledger
    group by ledger.customer_id, ledger.currency

    union all

    select
        budgets.customer_id,
        budgets.currency,
        min(budgets.budget_month) as start_date

    from budgets
    group by budgets.customer_id, budgets.currency

),

starts as (

    select
        start_candidates.customer_id,
        start_candidates.currency,
        min(start_candidates.start_date) as start_date

    from start_candidates
    group by start_candidates.customer_id, start_candidates.currency

),

{# The series has a row on every ledger day from its start: its first row is on the first of them. -#}
first_days as (

    select
        starts.customer_id,
        starts.currency,
        starts.start_date,
        min(ledger_days.cost_date) as series_first_date

    from starts
    inner join ledger_days
        on starts.start_date <= ledger_days.cost_date
    group by starts.customer_id, starts.currency, starts.start_date

)

select * from first_days
