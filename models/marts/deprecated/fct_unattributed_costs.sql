-- Deprecated: the old name of unattributed_costs_daily, kept for one release.
select * from {{ ref('unattributed_costs_daily') }}  -- noqa: AM04
