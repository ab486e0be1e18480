{#- One row per allocation candidate per rule that may place it, with its usage driver and whether it can place the candidate by itself. -#}
with

rule_options as (

    select * from {{ ref('int_candidate_rule_options') }}

),

drivers as (

    select * from {{ ref('int_usage_drivers_daily') }}

),

driver_totals as (

    select
        drivers.cost_date,
        drivers.service_name,
        drivers.metric,
        drivers.driver_level,
        drivers.driver_value,
        sum(drivers.quantity) as total_quantity

    from drivers
    group by 1, 2, 3, 4, 5

),

{# A usage rule reads the finest level with usage that day: the resource, else the region, else the
    whole service. -#}
usage_resolved as (

    select
        rule_options.candidate_id,
        rule_options.rule_position,
        rule_options.rule_name,
        rule_options.rule_version,
        rule_options.allocation_method,
        rule_options.cost_date,
        rule_options.billing_account_id,
        rule_options.effective_cost,
        rule_options.customer_tag,
        rule_options.service_name,
        rule_options.region_id,
        rule_options.resource_id,
        rule_options.driver_metric,
        rule_options.driver_service,
        rule_options.recipient_weight,
        case
            when by_resource.total_quantity > 0 then 'resource'
            when by_region.total_quantity > 0 then 'region'
            when by_service.total_quantity > 0 then 'service'
        end as driver_level,
        case
            when by_resource.total_quantity > 0 then rule_options.resource_id
            when by_region.total_quantity > 0 then rule_options.region_id
            when by_service.total_quantity > 0 then '*'
        end as driver_value

    from rule_options
    left join driver_totals as by_resource
        on rule_options.cost_date = by_resource.cost_date
        and rule_options.driver_service = by_resource.service_name
        and rule_options.driver_metric = by_resource.metric
        and by_resource.driver_level = 'resource'
        and rule_options.resource_id = by_resource.driver_value
    left join driver_totals as by_region
        on rule_options.cost_date = by_region.cost_date
        and rule_options.driver_service = by_region.service_name
        and rule_options.driver_metric = by_region.metric
        and by_region.driver_level = 'region'
        and rule_options.region_id = by_region.driver_value
    left join driver_totals as by_service
        on rule_options.cost_date = by_service.cost_date
        and rule_options.driver_service = by_service.service_name
        and rule_options.driver_metric = by_service.metric
        and by_service.driver_level = 'service'

),

{# Whether the rule can place the candidate without following other cost: proportional_to_cost
    rules are decided in int_candidate_winning_rules. -#}
direct_placeable as (

    select
        usage_resolved.*,
        case
            when usage_resolved.allocation_method = 'direct' then true
            when usage_resolved.allocation_method = 'tag' then usage_resolved.customer_tag is not null
            when usage_resolved.allocation_method = 'usage' then usage_resolved.driver_level is not null
            when usage_resolved.allocation_method in ('even', 'weighted', 'revenue', 'fixed')
                then coalesce(usage_resolved.recipient_weight, 0) > 0
            else false
        end as is_placeable_directly

    from usage_resolved

)

select * from direct_placeable
