{#- One row per customer x day: the month's cost to date against the budget pro rata, the burn rate,
    the month-end forecast and whether to alert; see _costs__models.yml and docs/budgets.md. -#}
{%- set alert_ratio = var('cpc_budget_burn_alert_ratio') -%}
{%- if alert_ratio is not number or alert_ratio <= 1 -%}
    {{ exceptions.raise_compiler_error(
        "customer_budget_burn: cpc_budget_burn_alert_ratio (" ~ alert_ratio ~ ") must be a number above 1") }}
{%- endif %}
with

forecasts as (

    select * from {{ ref('int_customer_cost_forecasts') }}

),

budgets as (

    select * from {{ ref('int_customer_budgets_monthly') }}

),

measured as (

    select
        forecasts.customer_id,
        forecasts.cost_date,
        forecasts.cost_month,
        forecasts.currency,
        forecasts.daily_cost,
        forecasts.month_to_date_cost,
        budgets.budget_amount,
        budgets.budget_source,
        cast(
            budgets.budget_amount * forecasts.day_of_month / forecasts.days_in_month
            as {{ cost_per_customer.money_type() }}
        ) as expected_to_date_cost,
        forecasts.forecast_month_end_cost,
        forecasts.day_of_month,
        forecasts.days_in_month

    from forecasts
    left join budgets
        on forecasts.customer_id = budgets.customer_id
        and forecasts.currency = budgets.currency
        and forecasts.cost_month = budgets.budget_month

),

rated as (

    select
        measured.*,
        cast(
            measured.month_to_date_cost / nullif(measured.expected_to_date_cost, 0) as decimal(20, 6)
        ) as burn_rate,
        measured.month_to_date_cost >= {{ alert_ratio }} * measured.expected_to_date_cost
        and measured.month_to_date_cost > 0 as is_burning_fast,
        measured.forecast_month_end_cost > measured.budget_amount as is_forecast_over_budget

    from measured

),

final as (

    select
        rated.customer_id,
        rated.cost_date,
        rated.cost_month,
        rated.currency,
        cast(rated.daily_cost as {{ cost_per_customer.money_type() }}) as daily_cost,
        cast(rated.month_to_date_cost as {{ cost_per_customer.money_type() }}) as month_to_date_cost,
        cast(rated.budget_amount as {{ cost_per_customer.money_type() }}) as budget_amount,
        rated.budget_source,
        rated.expected_to_date_cost,
        rated.burn_rate,
        rated.forecast_month_end_cost,
        cast(rated.day_of_month as bigint) as day_of_month,
        cast(rated.days_in_month as bigint) as days_in_month,
        coalesce(rated.is_burning_fast or rated.is_forecast_over_budget, false) as is_alert,
        case
            when rated.is_burning_fast and rated.is_forecast_over_budget then 'burn_rate_and_forecast'
            when rated.is_burning_fast then 'burn_rate'
            when rated.is_forecast_over_budget then 'forecast_over_budget'
        end as alert_reason

    from rated

)

select * from final
