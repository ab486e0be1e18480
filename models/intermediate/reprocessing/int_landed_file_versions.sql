{#- One row per landed file: a version that changes whenever what the models make of its rows could,
    but for the delivery time (a file delivered again unchanged keeps its version). -#}
with

landed_files as (

    select * from {{ ref('stg_landing__files') }}

),

versioned as (

    select
        landed_files.source_file,
        md5(concat_ws('|',
            landed_files.landed_table,
            cast(landed_files.size_bytes as {{ dbt.type_string() }}),
            landed_files.content_sha256,
            landed_files.landing_key,
            '{{ cost_per_customer.staging_fingerprint() }}'
        )) as file_version

    from landed_files

)

select * from versioned
