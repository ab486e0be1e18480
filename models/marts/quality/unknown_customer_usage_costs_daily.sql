{#- One row per UTC day x billed service x usage metric whose telemetry names no known customer:
    the cost the usage rules left unattributed as unknown_customer (the instrumentation gap); see
    _quality__models.yml. -#}
with

unattributed as (

    select * from {{ ref('unattributed_costs_daily') }}
    where reason = 'unknown_customer'

),

pools as (

    select * from {{ ref('int_cost_pools') }}
    where allocation_method = 'usage'

),

drivers as (

    select * from {{ ref('int_usage_drivers_daily') }}
    where driver_level = 'service'

),

{# The ledger's unknown_customer cost of usage pools, by the pools' service and metric. -#}
gap_costs as (

    select
        unattributed.cost_date,
        unattributed.service_name,
        pools.driver_metric as metric,
        pools.driver_service as telemetry_service_name,
        unattributed.currency,
        sum(unattributed.unattributed_cost) as unknown_customer_cost,
        count(distinct unattributed.pool_id) as pool_count

    from unattributed
    inner join pools
        on unattributed.pool_id = pools.pool_id
    group by 1, 2, 3, 4, 5

),

{# The day's telemetry of the metric, and the part that names no known customer. -#}
telemetry as (

    select
        drivers.cost_date,
        drivers.service_name,
        drivers.metric,
        cast(sum(drivers.quantity) as double) as telemetry_quantity,
        cast(sum(case when drivers.customer_id is null then drivers.quantity else 0 end) as double) as unknown_customer_quantity,
        max(drivers.usage_customer_id) as example_usage_customer_id

    from drivers
    group by 1, 2, 3

),

final as (

    select
        gap_costs.cost_date,
        gap_costs.service_name,
        gap_costs.metric,
        gap_costs.telemetry_service_name,
        telemetry.example_usage_customer_id,
        gap_costs.currency,
        cast(gap_costs.unknown_customer_cost as {{ cost_per_customer.money_type() }}) as unknown_customer_cost,
        gap_costs.pool_count,
        telemetry.unknown_customer_quantity,
        telemetry.telemetry_quantity,
        case
            when telemetry.telemetry_quantity > 0 then telemetry.unknown_customer_quantity / telemetry.telemetry_quantity
        end as unknown_customer_share

    from gap_costs
    left join telemetry
        on gap_costs.cost_date = telemetry.cost_date
        and gap_costs.telemetry_service_name = telemetry.service_name
        and gap_costs.metric = telemetry.metric

)

select * from final
