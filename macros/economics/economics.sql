{#- The headline economics marts share their SQL here, so the monthly, quarterly and yearly
    versions of a figure are computed one way (docs/economics.md). -#}

{#- The segment value of the company-wide rows of the segment economics marts. -#}
{% macro company_segment() -%}
    {{ return('all') }}
{%- endmacro %}


{#- Cost over revenue as a double; NULL unless revenue is positive (no division by zero; a negative
    or missing revenue has no meaningful ratio). customer_costs_monthly and the economics marts. -#}
{% macro cost_to_revenue(cost, revenue) -%}
case
            when {{ revenue }} > 0
                then cast({{ cost }} as double) / cast({{ revenue }} as double)
        end
{%- endmacro %}


{#- The columns every economics mart derives from its total_cost and revenue: cost-to-revenue,
    gross margin and gross margin ratio. The ratios are NULL unless revenue is positive (no
    division by zero; a negative or missing revenue has no meaningful ratio). -#}
{% macro revenue_ratios(relation) -%}
        {{ cost_per_customer.cost_to_revenue(relation ~ '.total_cost', relation ~ '.revenue') }} as cost_to_revenue,
        {{ cost_per_customer.money_difference(relation ~ '.revenue', relation ~ '.total_cost') }} as gross_margin,
        case
            when {{ relation }}.revenue > 0
                then (cast({{ relation }}.revenue as double) - cast({{ relation }}.total_cost as double))
                / cast({{ relation }}.revenue as double)
        end as gross_margin_ratio
{%- endmacro %}


{#- customer_costs_quarterly and customer_costs_yearly: customer_costs_monthly summed by period,
    never re-allocated, so a period's amounts are exactly the sums of its months. -#}
{% macro customer_costs_by_period(period) -%}
{%- set amounts = ['total_cost'] -%}
{%- for category in cost_per_customer.cost_categories() -%}
    {%- do amounts.append(category ~ '_cost') -%}
{%- endfor -%}
{%- do amounts.append('surcharge_cost') -%}
{%- do amounts.append('revenue') -%}
with

customer_months as (

    select * from {{ ref('customer_costs_monthly') }}

),

summed as (

    select
        {{ cost_per_customer.period_start('customer_months.month', period) }} as {{ period }},
        customer_months.customer_id,
        customer_months.customer_name,
        customer_months.segment,
        customer_months.region_id,
        customer_months.currency,
        {%- for amount in amounts %}
        cast(sum(customer_months.{{ amount }}) as {{ cost_per_customer.money_type() }}) as {{ amount }},
        {%- endfor %}
        count(*) as months_with_cost,
        count(customer_months.revenue) as months_with_revenue,
        cast(sum(customer_months.days_with_cost) as bigint) as days_with_cost,
        max(case when customer_months.is_estimated then 1 else 0 end) = 1 as is_estimated

    from customer_months
    group by 1, 2, 3, 4, 5, 6

),

final as (

    select
        summed.{{ period }},
        summed.customer_id,
        summed.customer_name,
        summed.segment,
        summed.region_id,
        summed.currency,
        {%- for amount in amounts %}
        summed.{{ amount }},
        {%- endfor %}
{{ cost_per_customer.revenue_ratios('summed') }},
        summed.months_with_cost,
        summed.months_with_revenue,
        summed.days_with_cost,
        summed.is_estimated

    from summed

)

select * from final
{%- endmacro %}


{#- segment_economics_monthly and segment_economics_quarterly: per segment and company-wide, the
    customers active in the period (int_customers_active_daily: a day in their customers.csv window
    or a day with usage), the cost and revenue of the segment's customers (customer_costs_monthly
    summed by period) and the ratios over them. -#}
{% macro segment_economics_by_period(period) -%}
with

customer_months as (

    select * from {{ ref('customer_costs_monthly') }}

),

active_days as (

    select * from {{ ref('int_customers_active_daily') }}

),

customers as (

    select * from {{ ref('customers') }}

),

active_customers as (

    select distinct
        {{ cost_per_customer.period_start('active_days.cost_date', period) }} as period_start_date,
        customers.segment,
        customers.customer_id

    from active_days
    inner join customers
        on active_days.customer_id = customers.customer_id

),

customer_periods as (

    select
        {{ cost_per_customer.period_start('customer_months.month', period) }} as period_start_date,
        customer_months.segment,
        customer_months.customer_id,
        customer_months.currency,
        sum(customer_months.total_cost) as total_cost,
        sum(customer_months.revenue) as revenue

    from customer_months
    group by 1, 2, 3, 4

),

activity as (

    select
        active_customers.period_start_date,
        active_customers.segment,
        count(*) as active_customer_count
    from active_customers
    group by 1, 2

    union all

    select
        active_customers.period_start_date,
        '{{ cost_per_customer.company_segment() }}' as segment,
        count(distinct active_customers.customer_id) as active_customer_count
    from active_customers
    group by 1, 2

),

costs as (

    select
        customer_periods.period_start_date,
        customer_periods.segment,
        customer_periods.currency,
        count(*) as customers_with_cost_count,
        sum(customer_periods.total_cost) as total_cost,
        sum(customer_periods.revenue) as revenue
    from customer_periods
    group by 1, 2, 3

    union all

    select
        customer_periods.period_start_date,
        '{{ cost_per_customer.company_segment() }}' as segment,
        customer_periods.currency,
        count(distinct customer_periods.customer_id) as customers_with_cost_count,
        sum(customer_periods.total_cost) as total_cost,
        sum(customer_periods.revenue) as revenue
    from customer_periods
    group by 1, 2, 3

),

joined as (

    select
        coalesce(costs.period_start_date, activity.period_start_date) as period_start_date,
        coalesce(costs.segment, activity.segment) as segment,
        coalesce(costs.currency, '{{ cost_per_customer.reporting_currency() }}') as currency,
        coalesce(activity.active_customer_count, 0) as active_customer_count,
        coalesce(costs.customers_with_cost_count, 0) as customers_with_cost_count,
        cast(coalesce(costs.total_cost, 0) as {{ cost_per_customer.money_type() }}) as total_cost,
        cast(costs.revenue as {{ cost_per_customer.money_type() }}) as revenue

    from costs
    full outer join activity
        on costs.period_start_date = activity.period_start_date
        and costs.segment = activity.segment

),

final as (

    select
        joined.period_start_date as {{ period }},
        joined.segment,
        joined.currency,
        joined.active_customer_count,
        joined.customers_with_cost_count,
        joined.total_cost,
        case
            when joined.active_customer_count > 0
                then cast(cast(joined.total_cost as double) / joined.active_customer_count as {{ cost_per_customer.money_type() }})
        end as cost_per_active_customer,
        joined.revenue,
{{ cost_per_customer.revenue_ratios('joined') }},
        joined.segment = '{{ cost_per_customer.company_segment() }}' as is_company_total

    from joined

)

select * from final
{%- endmacro %}
