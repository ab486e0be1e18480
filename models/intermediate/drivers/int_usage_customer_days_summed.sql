{#- One row per telemetry file, read of it, usage day and customer id (as telemetry wrote it,
    lower-cased) of the good telemetry rows: their count and the sum of a hash of each row. What
    the active customers and the days' usage fingerprint need of every telemetry row, a few rows
    per customer-day instead of every record. Kept file by file (file_kept_materialization): a
    build reads again only the files whose landed version changed, and of a file re-delivered
    with records appended only the new records (a read of its own, read_after_row). -#}
{{ config(**cost_per_customer.file_kept_config()) }}
{%- set kept_files = cost_per_customer.files_kept() -%}
{%- set appended_files = cost_per_customer.files_appended() -%}
{#- Every column but where the row was read: a row moved within or between files moves no day. -#}
{%- set hashed_columns = cost_per_customer.relation_columns(
    ref('stg_telemetry__usage'), 'usage_rows', exclude=['source_file', 'source_row']
) -%}
with

usage_rows as (

    select * from {{ ref('stg_telemetry__usage') }}
    where quarantine_reason is null
        and {{ cost_per_customer.in_rows_to_read('source_file', kept_files, appended_files) }}

),

file_versions as (

    select * from {{ ref('int_landed_file_versions') }}

),

summed as (

    select
        usage_rows.source_file,
        {{ cost_per_customer.read_after_row('usage_rows.source_file', appended_files) }} as read_after_row,
        usage_rows.usage_date,
        lower(usage_rows.customer_id) as customer_key,
        count(*) as row_count,
        {{ cost_per_customer.row_hash_sum(hashed_columns) }} as row_hash_sum

    from usage_rows
    group by usage_rows.source_file, usage_rows.usage_date, lower(usage_rows.customer_id)

),

versioned as (

    select
        summed.*,
        file_versions.file_version

    from summed
    left join file_versions
        on summed.source_file = file_versions.source_file

)

select * from versioned
