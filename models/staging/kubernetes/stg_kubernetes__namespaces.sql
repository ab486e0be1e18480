{#- One row per landed k8s_namespaces.csv record, with the reason it must be quarantined (NULL for
    a good row): a missing namespace or customer, or a (cluster, namespace) already mapped by an
    earlier record (the first record wins). -#}
with

source_rows as (

    select * from {{ source('kubernetes', 'k8s_namespaces') }}

),

typed as (

    select
        source_rows._source_file as source_file,
        source_rows._source_row as source_row,
        {{ cost_per_customer.clean_text('source_rows.cluster_id') }} as cluster_id,
        {{ cost_per_customer.clean_text('source_rows.namespace') }} as namespace,
        {{ cost_per_customer.clean_text('source_rows.customer_id') }} as customer_id

    from source_rows

),

ranked as (

    select
        typed.*,
        row_number() over (
            partition by typed.cluster_id, typed.namespace, typed.customer_id is null
            order by typed.source_file, typed.source_row
        ) as mapping_rank

    from typed

),

classified as (

    select
        ranked.source_file,
        ranked.source_row,
        ranked.cluster_id,
        ranked.namespace,
        ranked.customer_id,
        case
            when ranked.namespace is null then 'missing namespace'
            when ranked.customer_id is null then 'missing customer_id'
            when ranked.mapping_rank > 1 then 'repeated cluster_id and namespace'
        end as quarantine_reason

    from ranked

)

select * from classified
