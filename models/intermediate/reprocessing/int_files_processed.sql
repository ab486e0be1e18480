{#- One row per landed file whose rows the data tests have checked: its version when they did. -#}
{#- Written after the models whose tests check only the files that changed (valid_rows changed_files):
    a build that stops before it records the files checks them again next time. -#}
-- depends_on: {{ ref('stg_focus__charges') }}
-- depends_on: {{ ref('stg_aws__cost_and_usage') }}
-- depends_on: {{ ref('stg_azure__cost_details') }}
-- depends_on: {{ ref('stg_gcp__billing_export') }}
-- depends_on: {{ ref('stg_oci__cost_reports') }}
-- depends_on: {{ ref('stg_telemetry__usage') }}
-- depends_on: {{ ref('stg_kubernetes__usage') }}
-- depends_on: {{ ref('int_charges_unioned') }}
with

file_versions as (

    select * from {{ ref('int_landed_file_versions') }}

),

processed as (

    select
        file_versions.source_file,
        file_versions.file_version

    from file_versions

)

select * from processed
