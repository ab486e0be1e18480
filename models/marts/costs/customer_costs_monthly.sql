{#- One row per customer per month with cost; see _costs__models.yml. -#}
{%- set categories = cost_per_customer.cost_categories() -%}
with

monthly_sums as (

    select * from {{ ref('int_customer_costs_summed_monthly') }}

),

customers as (

    select * from {{ ref('customers') }}

),

billing_months as (

    select * from {{ ref('billing_months') }}

),

monthly_revenue as (

    select * from {{ ref('int_revenue_monthly') }}

),

joined as (

    select
        monthly_sums.month,
        monthly_sums.customer_id,
        customers.customer_name,
        customers.segment,
        customers.region_id,
        monthly_sums.currency,
        monthly_sums.total_cost,
        {%- for category in categories %}
        monthly_sums.{{ category }}_cost,
        {%- endfor %}
        monthly_sums.surcharge_cost,
        cast(monthly_revenue.revenue as {{ cost_per_customer.money_type() }}) as revenue,
        {{ cost_per_customer.cost_to_revenue('monthly_sums.total_cost', 'monthly_revenue.revenue') }} as cost_to_revenue,
        lag(monthly_sums.total_cost) over (
            partition by monthly_sums.customer_id, monthly_sums.currency order by monthly_sums.month
        ) as previous_month_cost,
        monthly_sums.days_with_cost,
        {#- The 95 % band sampled telemetry leaves around the month's cost (its days and pools were
            sampled independently, so their variances add). #}
        cast(round(1.96 * sqrt(monthly_sums.cost_sampling_variance), 2) as {{ cost_per_customer.money_type() }}) as sampling_error,
        coalesce(billing_months.is_estimated, false) as is_estimated

    from monthly_sums
    inner join customers
        on monthly_sums.customer_id = customers.customer_id
    left join monthly_revenue
        on monthly_sums.month = monthly_revenue.revenue_month
        and lower(monthly_sums.customer_id) = monthly_revenue.customer_key
        and monthly_sums.currency = monthly_revenue.currency
    left join billing_months
        on monthly_sums.month = billing_months.month

),

final as (

    select
        joined.*,
        cast(joined.total_cost - joined.previous_month_cost as {{ cost_per_customer.money_type() }}) as month_over_month_change

    from joined

)

select * from final
