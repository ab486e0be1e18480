{#- One row per good k8s_usage record, with the customer its namespace serves and what each pod is
    charged for: max(request, usage) of CPU cores and memory bytes (OpenCost's rule for resources
    billed by allocation). The customer is the namespace's in k8s_namespaces.csv (a mapping for the
    record's cluster wins over one without a cluster), else the pod's tenant label (customer_id);
    neither gives NULL: an unmapped namespace. -#}
with

usage_rows as (

    select * from {{ ref('stg_kubernetes__usage') }}
    where quarantine_reason is null

),

namespace_mappings as (

    select * from {{ ref('stg_kubernetes__namespaces') }}
    where quarantine_reason is null

),

mapped as (

    select
        usage_rows.source_file,
        usage_rows.source_row,
        usage_rows.cluster_id,
        usage_rows.node_id,
        {{ cost_per_customer.last_path_segment('usage_rows.node_id') }} as node_key,
        usage_rows.namespace,
        usage_rows.pod,
        coalesce(cluster_mappings.customer_id, any_cluster_mappings.customer_id, usage_rows.customer_id) as customer_id,
        case
            when cluster_mappings.customer_id is not null or any_cluster_mappings.customer_id is not null then 'namespace_map'
            when usage_rows.customer_id is not null then 'tenant_label'
        end as customer_source,
        usage_rows.customer_id as tenant_label_customer_id,
        usage_rows.cpu_request_cores,
        usage_rows.cpu_usage_cores,
        usage_rows.memory_request_bytes,
        usage_rows.memory_usage_bytes,
        greatest(usage_rows.cpu_request_cores, usage_rows.cpu_usage_cores) as cpu_cores_charged,
        greatest(usage_rows.memory_request_bytes, usage_rows.memory_usage_bytes) as memory_bytes_charged,
        usage_rows.node_cpu_cores,
        usage_rows.node_memory_bytes,
        usage_rows.interval_start_at,
        usage_rows.interval_end_at

    from usage_rows
    left join namespace_mappings as cluster_mappings
        on usage_rows.cluster_id = cluster_mappings.cluster_id
        and usage_rows.namespace = cluster_mappings.namespace
    left join namespace_mappings as any_cluster_mappings
        on any_cluster_mappings.cluster_id is null
        and usage_rows.namespace = any_cluster_mappings.namespace

)

select * from mapped
