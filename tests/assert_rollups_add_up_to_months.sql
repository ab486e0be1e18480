{#- The quarterly and yearly marts are the monthly marts summed, never re-allocated: every
    customer-quarter and customer-year of customer_costs_quarterly and customer_costs_yearly, and
    every segment-quarter of segment_economics_quarterly, holds exactly the sum of its months'
    total_cost and revenue. Returns the periods that differ or are missing on either side. -#}
with

customer_months as (

    select * from {{ ref('customer_costs_monthly') }}

),

segment_months as (

    select * from {{ ref('segment_economics_monthly') }}

),

expected as (

    {%- for period in ['quarter', 'year'] %}
    select
        'customer_costs_{{ period }}ly' as mart,
        {{ cost_per_customer.period_start('customer_months.month', period) }} as period_start_date,
        customer_months.customer_id as period_key,
        customer_months.currency,
        sum(customer_months.total_cost) as total_cost,
        sum(customer_months.revenue) as revenue
    from customer_months
    group by 1, 2, 3, 4

    union all
    {%- endfor %}

    select
        'segment_economics_quarterly' as mart,
        {{ cost_per_customer.period_start('segment_months.month', 'quarter') }} as period_start_date,
        segment_months.segment as period_key,
        segment_months.currency,
        sum(segment_months.total_cost) as total_cost,
        sum(segment_months.revenue) as revenue
    from segment_months
    group by 1, 2, 3, 4

),

rolled_up as (

    {%- for period in ['quarter', 'year'] %}
    select
        'customer_costs_{{ period }}ly' as mart,
        customer_periods.{{ period }} as period_start_date,
        customer_periods.customer_id as period_key,
        customer_periods.currency,
        customer_periods.total_cost,
        customer_periods.revenue
    from {{ ref('customer_costs_' ~ period ~ 'ly') }} as customer_periods

    union all
    {%- endfor %}

    select
        'segment_economics_quarterly' as mart,
        segment_quarters.quarter as period_start_date,
        segment_quarters.segment as period_key,
        segment_quarters.currency,
        segment_quarters.total_cost,
        segment_quarters.revenue
    from {{ ref('segment_economics_quarterly') }} as segment_quarters

),

compared as (

    select
        coalesce(expected.mart, rolled_up.mart) as mart,
        coalesce(expected.period_start_date, rolled_up.period_start_date) as period_start_date,
        coalesce(expected.period_key, rolled_up.period_key) as period_key,
        coalesce(expected.currency, rolled_up.currency) as currency,
        expected.total_cost as sum_of_months_total_cost,
        rolled_up.total_cost as rolled_up_total_cost,
        expected.revenue as sum_of_months_revenue,
        rolled_up.revenue as rolled_up_revenue

    from expected
    full outer join rolled_up
        on expected.mart = rolled_up.mart
        and expected.period_start_date = rolled_up.period_start_date
        and expected.period_key = rolled_up.period_key
        and expected.currency = rolled_up.currency

)

select * from compared
where sum_of_months_total_cost is null
    or rolled_up_total_cost is null
    or sum_of_months_total_cost <> rolled_up_total_cost
    or coalesce(sum_of_months_revenue, 0) <> coalesce(rolled_up_revenue, 0)
    or (sum_of_months_revenue is null) <> (rolled_up_revenue is null)
