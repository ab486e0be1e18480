{#- One row per customer-month that moved between two consecutive recorded versions; see
    _finance__models.yml and docs/restatements.md. -#}
with

versions as (

    select * from {{ ref('int_customer_costs_recorded') }}

),

with_previous as (

    select
        versions.*,
        lag(versions.total_cost) over (
            partition by versions.month, versions.customer_id, versions.currency order by versions.recorded_at
        ) as previous_total_cost,
        lag(versions.is_estimated) over (
            partition by versions.month, versions.customer_id, versions.currency order by versions.recorded_at
        ) as was_estimated,
        lag(versions.recorded_at) over (
            partition by versions.month, versions.customer_id, versions.currency order by versions.recorded_at
        ) as previous_recorded_at,
        min(versions.recorded_at) over (partition by versions.month, versions.currency) as month_first_recorded_at

    from versions

),

{# A customer-month's first version is a restatement only when its month had been recorded by an
   earlier build (cost that appeared after the month's first statement). -#}
moved as (

    select
        with_previous.month,
        with_previous.customer_id,
        with_previous.currency,
        with_previous.build_id,
        case
            when with_previous.previous_recorded_at is null then 'new_cost'
            when with_previous.was_estimated and not with_previous.is_estimated then 'period_finalized'
            when with_previous.was_estimated then 'estimate_updated'
            else 'restated'
        end as reason,
        cast(coalesce(with_previous.previous_total_cost, 0) as {{ cost_per_customer.money_type() }}) as cost_before,
        with_previous.total_cost as cost_after,
        cast(
            with_previous.total_cost - coalesce(with_previous.previous_total_cost, 0) as {{ cost_per_customer.money_type() }}
        ) as cost_delta,
        coalesce(with_previous.was_estimated, with_previous.is_estimated) as was_estimated,
        with_previous.is_estimated,
        with_previous.previous_recorded_at,
        with_previous.recorded_at

    from with_previous
    where with_previous.previous_recorded_at is not null
        or with_previous.recorded_at > with_previous.month_first_recorded_at

)

select * from moved
