"""The queries behind the dashboards: marts only, every sum and ranking in SQL (DuckDB)."""

from __future__ import annotations

#: The day-range views of the executive charts, offered where the data reaches that far.
VIEWS_DAYS = (30, 90, 365)
#: How many values of a dimension (service, category, rule, driver) a debug chart shows apart;
#: the rest are summed as "other" by the query.
TOP_VALUES = 6
#: The mart a watch on cost writes its anomalies to, used when the warehouse has it.
ANOMALIES = "customer_cost_anomalies"

DAILY_SQL = """
with allocated as (
    select cost_date, sum(allocated_cost) as allocated_cost,
           count(distinct customer_id) as active_customers
    from marts.customer_costs_daily
    group by cost_date
),
unattributed as (
    select cost_date, sum(unattributed_cost) as unattributed_cost
    from marts.unattributed_costs_daily
    where cost_date is not null
    group by cost_date
)
select coalesce(allocated.cost_date, unattributed.cost_date) as cost_date,
       cast(coalesce(allocated.allocated_cost, 0) + coalesce(unattributed.unattributed_cost, 0) as double)
           as total_cost,
       cast(coalesce(allocated.allocated_cost, 0) as double) as allocated_cost,
       cast(coalesce(unattributed.unattributed_cost, 0) as double) as unattributed_cost,
       coalesce(allocated.active_customers, 0) as active_customers,
       cast(allocated.allocated_cost / nullif(allocated.active_customers, 0) as double)
           as cost_per_active_customer
from allocated
full outer join unattributed on allocated.cost_date = unattributed.cost_date
order by cost_date
"""

TOTALS_SQL = """
select
    (select cast(coalesce(sum(allocated_cost), 0) as double) from marts.customer_costs_daily) as allocated_cost,
    (select cast(coalesce(sum(unattributed_cost), 0) as double) from marts.unattributed_costs_daily)
        as unattributed_cost,
    (select cast(coalesce(sum(allocated_cost), 0) as double) from marts.customer_costs_daily)
    + (select cast(coalesce(sum(unattributed_cost), 0) as double) from marts.unattributed_costs_daily)
        as total_cost,
    (select cast(coalesce(sum(unattributed_cost), 0) as double) from marts.unattributed_costs_daily)
    / nullif((select cast(coalesce(sum(allocated_cost), 0) as double) from marts.customer_costs_daily)
             + (select cast(coalesce(sum(unattributed_cost), 0) as double) from marts.unattributed_costs_daily), 0)
        as unattributed_share,
    (select min(cost_date) from marts.customer_costs_daily) as first_date,
    (select max(cost_date) from marts.customer_costs_daily) as last_date,
    (select count(distinct customer_id) from marts.customer_costs_daily) as customers_with_cost,
    (select min(currency) from marts.customer_costs_daily) as currency
"""

#: The segments' months with cost, from the economics mart (docs/economics.md): the ratios and the
#: active-customer count are computed there, not here.
SEGMENTS_SQL = """
select month, segment, customers_with_cost_count as customers,
       cast(total_cost as double) as total_cost,
       cast(revenue as double) as revenue,
       cost_to_revenue,
       cast(gross_margin as double) as margin,
       gross_margin_ratio as margin_share,
       active_customer_count as active_customers,
       cast(cost_per_active_customer as double) as cost_per_active_customer
from marts.segment_economics_monthly
where not is_company_total and customers_with_cost_count > 0
order by month, total_cost desc, segment
"""

SEGMENT_PERIOD_SQL = """
select segment,
       cast(sum(total_cost) as double) as total_cost,
       cast(sum(revenue) as double) as revenue,
       cast(sum(revenue) - sum(total_cost) as double) as margin
from marts.customer_costs_monthly
group by segment
order by total_cost desc, segment
"""

#: Per customer: cost over the last ``days`` days of the ledger and over the ``days`` before.
MOVERS_SQL = """
with bounds as (select max(cost_date) as last_date from marts.customer_costs_daily),
periods as (
    select costs.customer_id,
           sum(case when date_diff('day', costs.cost_date, bounds.last_date) < {days}
                    then costs.allocated_cost end) as current_cost,
           sum(case when date_diff('day', costs.cost_date, bounds.last_date) >= {days}
                    then costs.allocated_cost end) as previous_cost
    from marts.customer_costs_daily as costs
    cross join bounds
    where date_diff('day', costs.cost_date, bounds.last_date) < 2 * {days}
    group by costs.customer_id
)
select periods.customer_id, customers.customer_name, customers.segment,
       cast(coalesce(periods.current_cost, 0) as double) as current_cost,
       cast(coalesce(periods.previous_cost, 0) as double) as previous_cost,
       cast(coalesce(periods.current_cost, 0) - coalesce(periods.previous_cost, 0) as double) as change,
       cast((coalesce(periods.current_cost, 0) - periods.previous_cost) / nullif(periods.previous_cost, 0)
            as double) as relative_change
from periods
left join marts.customers as customers on periods.customer_id = customers.customer_id
order by abs(coalesce(periods.current_cost, 0) - coalesce(periods.previous_cost, 0)) desc,
         periods.customer_id
limit {limit}
"""

UNATTRIBUTED_SQL = """
select month, reason,
       cast(unattributed_cost as double) as unattributed_cost,
       share_of_total_cost, month_unattributed_share,
       cast(month_total_cost as double) as month_total_cost
from marts.unattributed_costs_monthly
where month is not null
order by month, unattributed_cost desc, reason
"""

#: The largest day-over-day increases of a customer's cost within the last ``days`` days (a day
#: without cost counts as zero).
#: The latest anomaly days of the anomalies mart (docs/anomalies.md), pages before tickets.
ANOMALY_SPIKES_SQL = """
select anomalies.cost_date, anomalies.customer_id, customers.customer_name, anomalies.scope,
       anomalies.severity, cast(anomalies.observed_cost as double) as observed_cost,
       cast(anomalies.expected_cost as double) as expected_cost,
       cast(anomalies.upper_band as double) as upper_band, cast(anomalies.score as double) as score,
       anomalies.anomaly_id
from marts.customer_cost_anomalies as anomalies
left join marts.customers as customers on anomalies.customer_id = customers.customer_id
order by anomalies.cost_date desc, anomalies.severity, anomalies.score desc, anomalies.customer_id,
         anomalies.scope
limit {limit}
"""

SPIKES_SQL = """
with bounds as (select max(cost_date) as last_date from marts.customer_costs_daily),
days as (
    select distinct cost_date
    from marts.customer_costs_daily cross join bounds
    where date_diff('day', cost_date, bounds.last_date) <= {days}
),
customer_days as (
    select cost_date, customer_id, sum(allocated_cost) as allocated_cost
    from marts.customer_costs_daily cross join bounds
    where date_diff('day', cost_date, bounds.last_date) <= {days}
    group by cost_date, customer_id
),
grid as (
    select days.cost_date, customer_list.customer_id,
           coalesce(customer_days.allocated_cost, 0) as allocated_cost
    from days
    cross join (select distinct customer_id from customer_days) as customer_list
    left join customer_days
        on days.cost_date = customer_days.cost_date
        and customer_list.customer_id = customer_days.customer_id
),
changes as (
    select cost_date, customer_id, allocated_cost,
           lag(allocated_cost) over (partition by customer_id order by cost_date) as previous_cost
    from grid
)
select changes.cost_date, changes.customer_id, customers.customer_name, customers.segment,
       cast(changes.previous_cost as double) as previous_cost,
       cast(changes.allocated_cost as double) as cost,
       cast(changes.allocated_cost - changes.previous_cost as double) as change
from changes
left join marts.customers as customers on changes.customer_id = customers.customer_id
where changes.previous_cost is not null and changes.allocated_cost > changes.previous_cost
order by changes.allocated_cost - changes.previous_cost desc, changes.cost_date desc,
         changes.customer_id
limit {limit}
"""

CUSTOMER_DAILY_SQL = """
select cost_date, cast(sum(allocated_cost) as double) as allocated_cost
from marts.customer_costs_daily
where customer_id = :customer
group by cost_date
order by cost_date
"""

TOP_CUSTOMERS_SQL = """
select customer_id
from marts.customer_costs_monthly
group by customer_id
order by sum(total_cost) desc, customer_id
limit {limit}
"""

CUSTOMER_SQL = """
select customers.customer_id, customers.customer_name, customers.segment, customers.region_id,
       cast(sum(monthly.total_cost) as double) as total_cost,
       cast(sum(monthly.revenue) as double) as revenue,
       cast(sum(monthly.total_cost) / nullif(sum(monthly.revenue), 0) as double) as cost_to_revenue
from marts.customers as customers
left join marts.customer_costs_monthly as monthly on customers.customer_id = monthly.customer_id
where customers.customer_id = :customer
group by customers.customer_id, customers.customer_name, customers.segment, customers.region_id
"""

#: One customer's daily cost by the values of one ledger column, the TOP_VALUES largest apart.
CUSTOMER_DIMENSION_SQL = """
with costs as (
    select cost_date, {expression} as dimension_value, allocated_cost
    from marts.customer_costs_daily
    where customer_id = :customer
),
ranked as (
    select dimension_value,
           row_number() over (order by abs(sum(allocated_cost)) desc, dimension_value) as position
    from costs
    group by dimension_value
)
select costs.cost_date,
       case when ranked.position <= {top} then ranked.dimension_value else 'other' end
           as dimension_value,
       min(ranked.position) as position,
       cast(sum(costs.allocated_cost) as double) as allocated_cost
from costs
inner join ranked on costs.dimension_value = ranked.dimension_value
group by 1, 2
order by position, costs.cost_date
"""

DIMENSIONS = {
    "service": "coalesce(service_name, '(no service)')",
    "category": "coalesce(cost_category, '(none)')",
    "rule": "rule_name",
    "driver": "coalesce(driver_metric, 'none: ' || allocation_method)",
}

EXPLANATION_SQL = """
select rule_name, allocation_method, service_name, driver_metric,
       cast(sum(customer_driver_quantity) as double) as customer_driver_quantity,
       cast(sum(pools_driver_quantity) as double) as pools_driver_quantity,
       cast(sum(pools_cost) as double) as pools_cost,
       cast(sum(allocated_cost) as double) as allocated_cost
from marts.customer_cost_explanations
where customer_id = :customer
group by rule_name, allocation_method, service_name, driver_metric
order by abs(sum(allocated_cost)) desc, rule_name, service_name
limit {limit}
"""

CHARGES_SQL = """
select month, charge_id, charge_kind, service_name, resource_id, charge_category, rule_name,
       cast(charge_cost_in_pools as double) as charge_cost_in_pools, customer_share,
       cast(customer_cost as double) as customer_cost
from marts.customer_charge_costs_monthly
where customer_id = :customer
order by abs(customer_cost) desc, month, charge_id
limit {limit}
"""

STATEMENT_SQL = """
select month, currency, cast(exact_cost as double) as exact_cost, statement_cost,
       month_statement_total
from marts.customer_statements_monthly
where customer_id = :customer and line_type = 'customer'
order by month
"""
