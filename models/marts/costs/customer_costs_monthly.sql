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

monthly_costs as (

    select
        monthly_sums.month as cost_month,
        monthly_sums.customer_id,
        monthly_sums.currency,
        monthly_sums.total_cost,
        {%- for category in categories %}
        monthly_sums.{{ category }}_cost,
        {%- endfor %}
        monthly_sums.surcharge_cost,
        monthly_sums.days_with_cost,
        {#- The 95 % band sampled telemetry leaves around the month's cost (its days and pools were
            sampled independently, so their variances add). #}
        round(1.96 * sqrt(monthly_sums.cost_sampling_variance), 2) as sampling_error

    from monthly_sums

),

joined as (

    select
        monthly_costs.cost_month as month,
        monthly_costs.customer_id,
        customers.customer_name,
        customers.segment,
        customers.region_id,
        monthly_costs.currency,
        cast(monthly_costs.total_cost as {{ cost_per_customer.money_type() }}) as total_cost,
        {%- for category in categories %}
        cast(monthly_costs.{{ category }}_cost as {{ cost_per_customer.money_type() }}) as {{ category }}_cost,
        {%- endfor %}
        cast(monthly_costs.surcharge_cost as {{ cost_per_customer.money_type() }}) as surcharge_cost,
        cast(monthly_revenue.revenue as {{ cost_per_customer.money_type() }}) as revenue,
        {{ cost_per_customer.cost_to_revenue('monthly_costs.total_cost', 'monthly_revenue.revenue') }} as cost_to_revenue,
        cast(lag(monthly_costs.total_cost) over (
            partition by monthly_costs.customer_id, monthly_costs.currency order by monthly_costs.cost_month
        ) as {{ cost_per_customer.money_type() }}) as previous_month_cost,
        monthly_costs.days_with_cost,
        cast(monthly_costs.sampling_error as {{ cost_per_customer.money_type() }}) as sampling_error,
        coalesce(billing_months.is_estimated, false) as is_estimated

    from monthly_costs
    inner join customers
        on monthly_costs.customer_id = customers.customer_id
    left join monthly_revenue
        on monthly_costs.cost_month = monthly_revenue.revenue_month
        and lower(monthly_costs.customer_id) = monthly_revenue.customer_key
        and monthly_costs.currency = monthly_revenue.currency
    left join billing_months
        on monthly_costs.cost_month = billing_months.month

),

final as (

    select
        joined.*,
        cast(joined.total_cost - joined.previous_month_cost as {{ cost_per_customer.money_type() }}) as month_over_month_change

    from joined

)

select * from final
