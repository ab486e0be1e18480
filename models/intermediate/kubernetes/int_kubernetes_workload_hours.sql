{#- One row per workload per node charge: its hours inside the charge and the node's covered hours. -#}
{%- set bytes_per_gib = 1073741824.0 -%}
with

node_charges as (

    select * from {{ ref('int_kubernetes_node_charges_matched') }}

),

usage_rows as (

    select * from {{ ref('int_kubernetes_usage_mapped') }}

),

{# The node's usage records overlapping the charge period, clipped to it. -#}
overlapping_usage as (

    select
        node_charges.charge_id,
        node_charges.node_id,
        usage_rows.cluster_id,
        usage_rows.namespace,
        usage_rows.customer_id,
        usage_rows.customer_source,
        usage_rows.cpu_cores_charged,
        usage_rows.memory_bytes_charged,
        usage_rows.node_cpu_cores,
        usage_rows.node_memory_bytes,
        greatest(usage_rows.interval_start_at, node_charges.charge_period_start_at) as overlap_start_at,
        least(usage_rows.interval_end_at, node_charges.charge_period_end_at) as overlap_end_at

    from node_charges
    inner join usage_rows
        on node_charges.node_id = usage_rows.node_id
        and node_charges.charge_period_end_at > usage_rows.interval_start_at
        and node_charges.charge_period_start_at < usage_rows.interval_end_at

),

usage_hours as (

    select
        overlapping_usage.*,
        cast(overlapping_usage.cpu_cores_charged as double)
            * cast({{ cost_per_customer.seconds_between(
                'overlapping_usage.overlap_start_at', 'overlapping_usage.overlap_end_at'
            ) }} as double)
            / 3600.0 as cpu_core_hours,
        cast(overlapping_usage.memory_bytes_charged as double) / {{ bytes_per_gib }}
            * cast({{ cost_per_customer.seconds_between(
                'overlapping_usage.overlap_start_at', 'overlapping_usage.overlap_end_at'
            ) }} as double)
            / 3600.0 as memory_gib_hours

    from overlapping_usage

),

{# The hours the node reported usage in: the union of its clipped intervals (overlapping intervals
    merge into islands, so no hour counts twice). -#}
covered_intervals as (

    select distinct
        usage_hours.charge_id,
        usage_hours.overlap_start_at,
        usage_hours.overlap_end_at

    from usage_hours

),

flagged_intervals as (

    select
        covered_intervals.*,
        case
            when max(covered_intervals.overlap_end_at) over (
                partition by covered_intervals.charge_id
                order by covered_intervals.overlap_start_at, covered_intervals.overlap_end_at
                rows between unbounded preceding and 1 preceding
            ) >= covered_intervals.overlap_start_at then 0
            else 1
        end as starts_island

    from covered_intervals

),

numbered_intervals as (

    select
        flagged_intervals.*,
        sum(flagged_intervals.starts_island) over (
            partition by flagged_intervals.charge_id
            order by flagged_intervals.overlap_start_at, flagged_intervals.overlap_end_at
            rows between unbounded preceding and current row
        ) as island_number

    from flagged_intervals

),

islands as (

    select
        numbered_intervals.charge_id,
        numbered_intervals.island_number,
        min(numbered_intervals.overlap_start_at) as island_start_at,
        max(numbered_intervals.overlap_end_at) as island_end_at

    from numbered_intervals
    group by numbered_intervals.charge_id, numbered_intervals.island_number

),

covered_hours as (

    select
        islands.charge_id,
        sum(
            cast({{ cost_per_customer.seconds_between('islands.island_start_at', 'islands.island_end_at') }} as double)
        ) / 3600.0 as node_hours

    from islands
    group by islands.charge_id

),

workloads as (

    select
        usage_hours.charge_id,
        usage_hours.node_id,
        usage_hours.namespace,
        usage_hours.customer_id,
        min(usage_hours.customer_source) as customer_source,
        max(usage_hours.cluster_id) as cluster_id,
        max(usage_hours.node_cpu_cores) as node_cpu_cores,
        max(usage_hours.node_memory_bytes) as node_memory_bytes,
        sum(usage_hours.cpu_core_hours) as cpu_core_hours,
        sum(usage_hours.memory_gib_hours) as memory_gib_hours

    from usage_hours
    group by usage_hours.charge_id, usage_hours.node_id, usage_hours.namespace, usage_hours.customer_id

),

workload_hours as (

    select
        workloads.charge_id,
        workloads.node_id,
        workloads.cluster_id,
        workloads.namespace,
        workloads.customer_id,
        workloads.customer_source,
        workloads.node_cpu_cores,
        workloads.node_memory_bytes,
        workloads.cpu_core_hours,
        workloads.memory_gib_hours,
        covered_hours.node_hours

    from workloads
    inner join covered_hours
        on workloads.charge_id = covered_hours.charge_id

)

select * from workload_hours
