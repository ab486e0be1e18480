{#- One row per workload line and idle line of a node charge, with its share of the charge. -#}
{%- set settings = cost_per_customer.kubernetes_settings() -%}
with

workload_shares as (

    select * from {{ ref('int_kubernetes_workload_shares') }}

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

)

select * from lines
