-- Deprecated: the old name of customers, kept for one release.
select * from {{ ref('customers') }}  -- noqa: AM04
