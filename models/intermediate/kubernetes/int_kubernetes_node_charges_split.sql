{#- One row per Kubernetes workload (namespace and its customer) per node charge, plus the node charge's
    idle line(s): every good Compute charge whose resource is a node of k8s_usage, not already
    placed on a customer, split over the hours of its charge period in which the node reported usage.
    - The node's cost splits into CPU and RAM by cpu_cost_ratio = cpu_core_hours x cpu price /
      (cpu_core_hours x cpu price + memory_gib_hours x RAM price), over the node's capacity (or what
      its pods charged, when that is larger or the capacity is not given).
    - A workload is charged max(request, usage) per interval x the hours it overlaps the charge; its
      share is cpu_cost_ratio x its share of the CPU + (1 - cpu_cost_ratio) x its share of the RAM.
    - Idle = the rest. share_idle none keeps it as one unattributed line ('idle'); even / weighted
      shares it among the customers of the node's mapped workloads (equally / by their workload
      share) as lines of their own.
    Amounts are rounded to money_type and the child with the largest share takes the remainder, so a
    charge's children add up to it exactly. The columns are int_charges_deduplicated's (charge_id =
    '<parent>#k8s:<namespace>[/<customer>]' or '<parent>#k8s:idle[/<customer>]') and
    kubernetes_split_columns(). See docs/kubernetes.md. -#}
{%- set settings = cost_per_customer.kubernetes_settings() -%}
{%- set money_columns = ['effective_cost', 'billed_cost', 'list_cost', 'contracted_cost'] -%}
{%- set quantity_columns = ['consumed_quantity', 'pricing_quantity'] -%}
{%- set bytes_per_gib = 1073741824.0 -%}
with

charges as (

    select * from {{ ref('int_charges_deduplicated') }}
    where quarantine_reason is null and superseded_reason is null

),

{# The few columns node matching needs, read apart from the wide rows: a CTE read twice is
    materialized whole, which at millions of billing rows costs seconds. -#}
charge_keys as (

    select
        charge_id,
        resource_id,
        service_category,
        is_unused_commitment,
        direct_customer_id,
        charge_period_start_at,
        charge_period_end_at

    from {{ ref('int_charges_deduplicated') }}
    where quarantine_reason is null and superseded_reason is null

),

usage_rows as (

    select * from {{ ref('int_kubernetes_usage_mapped') }}

),

nodes as (

    select
        node_id,
        max(node_key) as node_key

    from usage_rows
    group by node_id

),

{# Charges that can be a node's: Compute, one resource, a period of some length, not unused
    commitment, not placed already. -#}
candidate_charges as (

    select
        charge_keys.charge_id,
        charge_keys.resource_id,
        {{ cost_per_customer.last_path_segment('charge_keys.resource_id') }} as resource_key,
        charge_keys.charge_period_start_at,
        charge_keys.charge_period_end_at

    from charge_keys
    where charge_keys.resource_id is not null
        and charge_keys.charge_period_end_at > charge_keys.charge_period_start_at
        and charge_keys.service_category = 'Compute'
        and not charge_keys.is_unused_commitment
        and charge_keys.direct_customer_id is null

),

{# A node matches its exact ResourceId first, else the same last path segment (ARN, providerID). -#}
node_matches as (

    select
        candidate_charges.charge_id,
        nodes.node_id,
        1 as match_rank

    from candidate_charges
    inner join nodes
        on candidate_charges.resource_id = nodes.node_id

    union all

    select
        candidate_charges.charge_id,
        nodes.node_id,
        2 as match_rank

    from candidate_charges
    inner join nodes
        on candidate_charges.resource_key = nodes.node_key

),

ranked_node_matches as (

    select
        node_matches.charge_id,
        node_matches.node_id,
        row_number() over (
            partition by node_matches.charge_id
            order by node_matches.match_rank, node_matches.node_id
        ) as node_rank

    from node_matches

),

node_charges as (

    select
        candidate_charges.charge_id,
        candidate_charges.charge_period_start_at,
        candidate_charges.charge_period_end_at,
        ranked_node_matches.node_id

    from candidate_charges
    inner join ranked_node_matches
        on candidate_charges.charge_id = ranked_node_matches.charge_id
    where ranked_node_matches.node_rank = 1

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

{# Node-level figures on every workload row (windows, so the chain above is read once). -#}
workloads_on_nodes as (

    select
        workloads.*,
        covered_hours.node_hours,
        count(*) over (partition by workloads.charge_id, workloads.namespace) as namespace_line_count,
        max(workloads.cluster_id) over (partition by workloads.charge_id) as node_cluster_id,
        max(workloads.node_cpu_cores) over (partition by workloads.charge_id) as node_cpu_cores_given,
        max(workloads.node_memory_bytes) over (partition by workloads.charge_id) as node_memory_bytes_given,
        sum(workloads.cpu_core_hours) over (partition by workloads.charge_id) as node_workload_cpu_core_hours,
        sum(workloads.memory_gib_hours) over (partition by workloads.charge_id) as node_workload_memory_gib_hours

    from workloads
    inner join covered_hours
        on workloads.charge_id = covered_hours.charge_id

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
        node_cost_ratios.*,
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

),

{# '<charge>#k8s:<namespace>', plus '/<customer>' for a tenant-label customer or when the namespace
    has lines for several customers (never for the unmapped line), so ids are unique. -#}
workload_lines as (

    select
        concat(
            workload_shares.charge_id, '#k8s:', workload_shares.namespace,
            case
                when workload_shares.customer_id is not null
                    and (workload_shares.customer_source = 'tenant_label' or workload_shares.namespace_line_count > 1)
                    then concat('/', workload_shares.customer_id)
                else ''
            end
        ) as line_id,
        workload_shares.charge_id as parent_charge_id,
        workload_shares.node_id,
        workload_shares.node_cluster_id,
        'workload' as cost_kind,
        workload_shares.namespace,
        workload_shares.customer_id,
        workload_shares.customer_source,
        workload_shares.share,
        workload_shares.cpu_cost_ratio,
        workload_shares.cpu_core_hours,
        workload_shares.memory_gib_hours,
        case when workload_shares.customer_id is null then 'unmapped_namespace' end as direct_unattributed_reason

    from workload_shares

),

{%- if settings.share_idle == 'none' %}

node_idle as (

    select distinct
        workload_shares.charge_id,
        workload_shares.node_id,
        workload_shares.node_cluster_id,
        workload_shares.cpu_cost_ratio,
        workload_shares.idle_share,
        workload_shares.idle_cpu_core_hours,
        workload_shares.idle_memory_gib_hours

    from workload_shares

),

idle_lines as (

    select
        concat(node_idle.charge_id, '#k8s:idle') as line_id,
        node_idle.charge_id as parent_charge_id,
        node_idle.node_id,
        node_idle.node_cluster_id,
        'idle' as cost_kind,
        cast(null as {{ dbt.type_string() }}) as namespace,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        cast(null as {{ dbt.type_string() }}) as customer_source,
        node_idle.idle_share as share,
        node_idle.cpu_cost_ratio,
        node_idle.idle_cpu_core_hours as cpu_core_hours,
        node_idle.idle_memory_gib_hours as memory_gib_hours,
        'idle' as direct_unattributed_reason

    from node_idle

),

{%- else %}

{#- share_idle even: each customer of the node charge's mapped workloads weighs 1; weighted: its
    workload share. The NULL-customer group (unmapped namespaces) weighs nothing. -#}
customer_idle_weights as (

    select
        workload_shares.charge_id,
        workload_shares.node_id,
        workload_shares.node_cluster_id,
        workload_shares.cpu_cost_ratio,
        workload_shares.idle_share,
        workload_shares.idle_cpu_core_hours,
        workload_shares.idle_memory_gib_hours,
        workload_shares.customer_id,
        {%- if settings.share_idle == 'weighted' %}
        sum(workload_shares.share) as idle_weight
        {%- else %}
        1.0 as idle_weight
        {%- endif %}

    from workload_shares
    group by
        workload_shares.charge_id, workload_shares.node_id, workload_shares.node_cluster_id,
        workload_shares.cpu_cost_ratio, workload_shares.idle_share, workload_shares.idle_cpu_core_hours,
        workload_shares.idle_memory_gib_hours, workload_shares.customer_id

),

customer_idle_parts as (

    select
        customer_idle_weights.*,
        case
            when customer_idle_weights.customer_id is null then 1.0
            when sum(case when customer_idle_weights.customer_id is not null then customer_idle_weights.idle_weight else 0.0 end)
                over (partition by customer_idle_weights.charge_id) > 0
                then customer_idle_weights.idle_weight
                    / sum(case when customer_idle_weights.customer_id is not null then customer_idle_weights.idle_weight else 0.0 end)
                        over (partition by customer_idle_weights.charge_id)
            else 1.0 / count(customer_idle_weights.customer_id) over (partition by customer_idle_weights.charge_id)
        end as idle_part,
        count(customer_idle_weights.customer_id) over (partition by customer_idle_weights.charge_id) as customer_count

    from customer_idle_weights

),

{# One idle line per customer; a node charge without a mapped workload keeps one unattributed line. -#}
idle_lines as (

    select
        case
            when customer_idle_parts.customer_id is null then concat(customer_idle_parts.charge_id, '#k8s:idle')
            else concat(customer_idle_parts.charge_id, '#k8s:idle/', customer_idle_parts.customer_id)
        end as line_id,
        customer_idle_parts.charge_id as parent_charge_id,
        customer_idle_parts.node_id,
        customer_idle_parts.node_cluster_id,
        'idle' as cost_kind,
        cast(null as {{ dbt.type_string() }}) as namespace,
        customer_idle_parts.customer_id,
        case when customer_idle_parts.customer_id is not null then 'shared_idle_{{ settings.share_idle }}' end as customer_source,
        customer_idle_parts.idle_share * customer_idle_parts.idle_part as share,
        customer_idle_parts.cpu_cost_ratio,
        customer_idle_parts.idle_cpu_core_hours * customer_idle_parts.idle_part as cpu_core_hours,
        customer_idle_parts.idle_memory_gib_hours * customer_idle_parts.idle_part as memory_gib_hours,
        case when customer_idle_parts.customer_id is null then 'idle' end as direct_unattributed_reason

    from customer_idle_parts
    where customer_idle_parts.customer_id is not null or customer_idle_parts.customer_count = 0

),

{%- endif %}

lines as (

    select * from workload_lines

    union all

    select * from idle_lines

),

{# The line with the largest share (then the first id) takes each amount's rounding remainder. -#}
ranked_lines as (

    select
        lines.*,
        row_number() over (
            partition by lines.parent_charge_id
            order by lines.share desc, lines.line_id asc
        ) as share_rank

    from lines

),

split_charges as (

    select
        {%- for column in cost_per_customer.deduplicated_charge_columns() %}
        {%- if column == 'charge_id' %}
        ranked_lines.line_id as charge_id,
        {%- elif column in money_columns %}
        case
            when ranked_lines.share_rank = 1 then {{ cost_per_customer.money_difference(
                'charges.' ~ column,
                'sum(case when ranked_lines.share_rank > 1 then '
                    ~ cost_per_customer.scale_money('charges.' ~ column, 'ranked_lines.share')
                    ~ ' else 0 end) over (partition by ranked_lines.parent_charge_id)'
            ) }}
            else {{ cost_per_customer.scale_money('charges.' ~ column, 'ranked_lines.share') }}
        end as {{ column }},
        {%- elif column in quantity_columns %}
        {{ cost_per_customer.scale_money('charges.' ~ column, 'ranked_lines.share') }} as {{ column }},
        {%- elif column == 'direct_customer_id' %}
        ranked_lines.customer_id as direct_customer_id,
        {%- else %}
        charges.{{ column }},
        {%- endif %}
        {%- endfor %}
        ranked_lines.parent_charge_id,
        ranked_lines.node_id as kubernetes_node_id,
        ranked_lines.node_cluster_id as kubernetes_cluster_id,
        ranked_lines.namespace as kubernetes_namespace,
        ranked_lines.cost_kind as kubernetes_cost_kind,
        ranked_lines.customer_source as kubernetes_customer_source,
        ranked_lines.share as kubernetes_share,
        ranked_lines.cpu_cost_ratio as kubernetes_cpu_cost_ratio,
        ranked_lines.cpu_core_hours as kubernetes_cpu_core_hours,
        ranked_lines.memory_gib_hours as kubernetes_memory_gib_hours,
        ranked_lines.direct_unattributed_reason

    from ranked_lines
    inner join charges
        on ranked_lines.parent_charge_id = charges.charge_id

)

select * from split_charges
