{#- One row per quarantined telemetry record (stg_telemetry__usage with a quarantine reason), and one
    per read of a telemetry file (source_row and quarantine_reason NULL): the record that the file was
    read, so that a file without a quarantined record is kept too. What quarantined_rows lists of
    telemetry, without parsing every telemetry record on every build. Kept file by file
    (file_kept_materialization): a build reads again only the files whose landed version changed,
    and of a file re-delivered with records appended only the new records (a read of its own,
    read_after_row). -#}
{{ config(**cost_per_customer.file_kept_config()) }}
{%- set kept_files = cost_per_customer.files_kept() -%}
{%- set appended_files = cost_per_customer.files_appended() -%}
with

usage_rows as (

    select * from {{ ref('stg_telemetry__usage') }}
    where {{ cost_per_customer.in_rows_to_read('source_file', kept_files, appended_files) }}

),

file_versions as (

    select * from {{ ref('int_landed_file_versions') }}

),

quarantined as (

    select
        usage_rows.source_file,
        usage_rows.source_row,
        usage_rows.quarantine_reason,
        usage_rows.usage_date_raw,
        usage_rows.metric,
        usage_rows.quantity_raw,
        usage_rows.sample_rate_raw,
        usage_rows.usage_date

    from usage_rows
    where usage_rows.quarantine_reason is not null

),

{# One row per file read, whether or not it has a quarantined record. -#}
reads as (

    select distinct
        usage_rows.source_file,
        cast(null as bigint) as source_row,
        cast(null as {{ dbt.type_string() }}) as quarantine_reason,
        cast(null as {{ dbt.type_string() }}) as usage_date_raw,
        cast(null as {{ dbt.type_string() }}) as metric,
        cast(null as {{ dbt.type_string() }}) as quantity_raw,
        cast(null as {{ dbt.type_string() }}) as sample_rate_raw,
        cast(null as date) as usage_date

    from usage_rows

),

unioned as (

    select * from quarantined

    union all

    select * from reads

),

versioned as (

    select
        unioned.source_file,
        {{ cost_per_customer.read_after_row('unioned.source_file', appended_files) }} as read_after_row,
        unioned.source_row,
        unioned.quarantine_reason,
        unioned.usage_date_raw,
        unioned.metric,
        unioned.quantity_raw,
        unioned.sample_rate_raw,
        unioned.usage_date,
        file_versions.file_version

    from unioned
    left join file_versions
        on unioned.source_file = file_versions.source_file

)

select * from versioned
