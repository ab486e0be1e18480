-- Deprecated: the old name of customer_costs_daily, kept for one release.
select * from {{ ref('customer_costs_daily') }}  -- noqa: AM04
