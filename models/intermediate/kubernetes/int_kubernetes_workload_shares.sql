{#- One row per workload per node charge: its share of the charge, and the node's idle share. -#}
{%- set settings = cost_per_customer.kubernetes_settings() -%}
{%- set bytes_per_gib = 1073741824.0 -%}
with

workload_hours as (

    select * from {{ ref('int_kubernetes_workload_hours') }}

),

{# Node-level figures on every workload row. -#}
workloads_on_nodes as (

    select
        workload_hours.*,
        count(*) over (partition by workload_hours.charge_id, workload_hours.namespace) as namespace_line_count,
        max(workload_hours.cluster_id) over (partition by workload_hours.charge_id) as node_cluster_id,
        max(workload_hours.node_cpu_cores) over (partition by workload_hours.charge_id) as node_cpu_cores_given,
        max(workload_hours.node_memory_bytes) over (partition by workload_hours.charge_id) as node_memory_bytes_given,
        sum(workload_hours.cpu_core_hours) over (partition by workload_hours.charge_id) as node_workload_cpu_core_hours,
        sum(workload_hours.memory_gib_hours) over (partition by workload_hours.charge_id) as node_workload_memory_gib_hours

    from workload_hours

),

{# What the node offered: capacity x covered hours, or what its pods charged when that is larger or
    the capacity is unknown. -#}
node_capacities as (

    select
        workloads_on_nodes.*,
        greatest(
            coalesce(cast(workloads_on_nodes.node_cpu_cores_given as double) * workloads_on_nodes.node_hours, 0.0),
            workloads_on_nodes.node_workload_cpu_core_hours
        ) as cpu_core_hours_basis,
        greatest(
            coalesce(cast(workloads_on_nodes.node_memory_bytes_given as double) / {{ bytes_per_gib }} * workloads_on_nodes.node_hours, 0.0),
            workloads_on_nodes.node_workload_memory_gib_hours
        ) as memory_gib_hours_basis

    from workloads_on_nodes

),

{# The CPU part of the node's cost, by the unit prices over what the node offered. -#}
node_cost_ratios as (

    select
        node_capacities.*,
        case
            when node_capacities.cpu_core_hours_basis * {{ settings.cpu_hourly_price }}
                + node_capacities.memory_gib_hours_basis * {{ settings.ram_gib_hourly_price }} > 0
                then node_capacities.cpu_core_hours_basis * {{ settings.cpu_hourly_price }}
                    / (node_capacities.cpu_core_hours_basis * {{ settings.cpu_hourly_price }}
                        + node_capacities.memory_gib_hours_basis * {{ settings.ram_gib_hourly_price }})
            else 1.0
        end as cpu_cost_ratio

    from node_capacities

),

{# Each workload's share of the charge, and the node's idle share (the CPU and RAM its workloads
    did not charge), the same on every row of the charge. -#}
workload_shares as (

    select
        node_cost_ratios.charge_id,
        node_cost_ratios.node_id,
        node_cost_ratios.node_cluster_id,
        node_cost_ratios.namespace,
        node_cost_ratios.customer_id,
        node_cost_ratios.customer_source,
        node_cost_ratios.namespace_line_count,
        node_cost_ratios.node_hours,
        node_cost_ratios.cpu_core_hours,
        node_cost_ratios.memory_gib_hours,
        node_cost_ratios.cpu_core_hours_basis,
        node_cost_ratios.memory_gib_hours_basis,
        node_cost_ratios.cpu_cost_ratio,
        node_cost_ratios.cpu_cost_ratio * case
            when node_cost_ratios.cpu_core_hours_basis > 0
                then node_cost_ratios.cpu_core_hours / node_cost_ratios.cpu_core_hours_basis
            else 0.0
        end
        + (1.0 - node_cost_ratios.cpu_cost_ratio) * case
            when node_cost_ratios.memory_gib_hours_basis > 0
                then node_cost_ratios.memory_gib_hours / node_cost_ratios.memory_gib_hours_basis
            else 0.0
        end as share,
        node_cost_ratios.cpu_cost_ratio * case
            when node_cost_ratios.cpu_core_hours_basis > 0
                then 1.0 - node_cost_ratios.node_workload_cpu_core_hours / node_cost_ratios.cpu_core_hours_basis
            else 1.0
        end
        + (1.0 - node_cost_ratios.cpu_cost_ratio) * case
            when node_cost_ratios.memory_gib_hours_basis > 0
                then 1.0 - node_cost_ratios.node_workload_memory_gib_hours / node_cost_ratios.memory_gib_hours_basis
            else 1.0
        end as idle_share,
        node_cost_ratios.cpu_core_hours_basis - node_cost_ratios.node_workload_cpu_core_hours as idle_cpu_core_hours,
        node_cost_ratios.memory_gib_hours_basis - node_cost_ratios.node_workload_memory_gib_hours as idle_memory_gib_hours

    from node_cost_ratios

)

select * from workload_shares
