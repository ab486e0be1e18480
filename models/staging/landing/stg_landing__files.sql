{#- One row per file of the last landing: where its rows are and what they were read from. -#}
with

source_files as (

    select * from {{ source('landing', 'landed_files') }}

),

renamed as (

    select
        source_files.source_file,
        source_files.landed_table,
        source_files.size_bytes,
        source_files.content_sha256,
        source_files.landing_key,
        source_files.details as landing_details,
        source_files.appended_to_size_bytes,
        source_files.appended_to_sha256,
        source_files.appended_after_row

    from source_files

)

select * from renamed
