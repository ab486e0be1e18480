{#- One row per usable budgets.csv record in the reporting currency, with the problem that keeps it
    from every customer (NULL if none); see _budgets__models.yml. -#}
with

budgets as (

    select * from {{ ref('stg_business__budgets') }}
    where quarantine_reason is null

),

customers as (

    select * from {{ ref('stg_business__customers') }}
    where quarantine_reason is null

),

segments as (

    select distinct customers.segment
    from customers

),

monthly_rates as (

    select * from {{ ref('int_fx_rates_monthly') }}

),

converted as (

    select
        budgets.source_file,
        budgets.source_row,
        budgets.budget_month,
        budgets.month_raw,
        budgets.amount_raw,
        budgets.customer_id as budget_customer_id,
        customers.customer_id,
        budgets.segment,
        budgets.budget_currency,
        budgets.budget_amount as amount_in_source_currency,
        '{{ cost_per_customer.reporting_currency() }}' as currency,
        {{ cost_per_customer.convert_money(
            'budgets.budget_amount',
            cost_per_customer.fx_rate_or_one('budgets.budget_currency', 'monthly_rates.fx_rate'),
        ) }} as budget_amount,
        segments.segment is not null as is_known_segment

    from budgets
    left join customers
        on lower(budgets.customer_id) = lower(customers.customer_id)
    left join segments
        on budgets.segment = segments.segment
    left join monthly_rates
        on budgets.budget_currency = monthly_rates.currency
        and budgets.budget_month = monthly_rates.rate_month

),

final as (

    select
        converted.source_file,
        converted.source_row,
        converted.budget_month,
        converted.month_raw,
        converted.amount_raw,
        converted.budget_customer_id,
        converted.customer_id,
        converted.segment,
        converted.budget_currency,
        converted.amount_in_source_currency,
        converted.currency,
        converted.budget_amount,
        case
            when converted.budget_customer_id is not null and converted.customer_id is null
                then concat('unknown customer_id ', converted.budget_customer_id)
            when converted.segment is not null and not converted.is_known_segment
                then concat('no customer has segment ', converted.segment)
            when converted.budget_amount is null
                then concat('no ', converted.budget_currency, ' exchange rate in the month')
        end as problem

    from converted

)

select * from final
