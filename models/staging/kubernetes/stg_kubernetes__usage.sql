{#- One row per landed k8s_usage record: typed (timestamps to naive UTC, cores and bytes decimal),
    with the reason it must be quarantined (NULL for a good row). Nothing is filtered here. -#}
with

source_rows as (

    select * from {{ source('kubernetes', 'k8s_usage') }}

),

typed as (

    select
        source_rows._decimal_mark,
        source_rows._source_file as source_file,
        source_rows._source_row as source_row,
        {{ cost_per_customer.clean_text('source_rows.cluster_id') }} as cluster_id,
        {{ cost_per_customer.clean_text('source_rows.node_id') }} as node_id,
        {{ cost_per_customer.clean_text('source_rows.namespace') }} as namespace,
        {{ cost_per_customer.clean_text('source_rows.pod') }} as pod,
        {{ cost_per_customer.clean_text('source_rows.customer_id') }} as customer_id,
        source_rows.interval_start as interval_start_raw,
        source_rows.interval_end as interval_end_raw,
        source_rows.cpu_request_cores as cpu_request_cores_raw,
        source_rows.cpu_usage_cores as cpu_usage_cores_raw,
        source_rows.memory_request_bytes as memory_request_bytes_raw,
        source_rows.memory_usage_bytes as memory_usage_bytes_raw,
        source_rows.node_cpu_cores as node_cpu_cores_raw,
        source_rows.node_memory_bytes as node_memory_bytes_raw,
        {{ cost_per_customer.parse_decimal('source_rows.cpu_request_cores') }} as cpu_request_cores,
        {{ cost_per_customer.parse_decimal('source_rows.cpu_usage_cores') }} as cpu_usage_cores,
        {{ cost_per_customer.parse_decimal('source_rows.memory_request_bytes') }} as memory_request_bytes,
        {{ cost_per_customer.parse_decimal('source_rows.memory_usage_bytes') }} as memory_usage_bytes,
        {{ cost_per_customer.parse_decimal('source_rows.node_cpu_cores') }} as node_cpu_cores,
        {{ cost_per_customer.parse_decimal('source_rows.node_memory_bytes') }} as node_memory_bytes,
        {{ cost_per_customer.parse_timestamp('source_rows.interval_start') }} as interval_start_at,
        {{ cost_per_customer.parse_timestamp('source_rows.interval_end') }} as interval_end_at

    from source_rows

),

{# A request or usage must be readable and not negative (a pod without a request writes 0); the
    node's capacity may be absent, but when given it must be readable and positive. -#}
classified as (

    select
        typed.*,
        case
            when {{ cost_per_customer.clean_text('typed.interval_start_raw') }} is null then 'missing interval_start'
            when typed.interval_start_at is null then 'unparseable interval_start'
            when {{ cost_per_customer.clean_text('typed.interval_end_raw') }} is null then 'missing interval_end'
            when typed.interval_end_at is null then 'unparseable interval_end'
            when typed.interval_end_at <= typed.interval_start_at then 'interval_end not after interval_start'
            when typed.node_id is null then 'missing node_id'
            when typed.namespace is null then 'missing namespace'
            {%- for column in ['cpu_request_cores', 'cpu_usage_cores', 'memory_request_bytes', 'memory_usage_bytes'] %}
            when {{ cost_per_customer.clean_text('typed.' ~ column ~ '_raw') }} is null then 'missing {{ column }}'
            when typed.{{ column }} is null
                then concat(
                    'unparseable {{ column }}',
                    {{ cost_per_customer.decimal_problem('typed.' ~ column ~ '_raw', 'typed._decimal_mark') }}
                )
            when typed.{{ column }} < 0 then 'negative {{ column }}'
            {%- endfor %}
            {%- for column in ['node_cpu_cores', 'node_memory_bytes'] %}
            when typed.{{ column }} is null and {{ cost_per_customer.clean_text('typed.' ~ column ~ '_raw') }} is not null
                then concat(
                    'unparseable {{ column }}',
                    {{ cost_per_customer.decimal_problem('typed.' ~ column ~ '_raw', 'typed._decimal_mark') }}
                )
            when typed.{{ column }} <= 0 then 'non-positive {{ column }}'
            {%- endfor %}
        end as quarantine_reason

    from typed

)

select * from classified
