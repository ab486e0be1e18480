{#- One row per landed file: a version that changes whenever what the models make of its rows could,
    but for the delivery time (a file delivered again unchanged keeps its version). -#}
with

landed_files as (

    select * from {{ ref('stg_landing__files') }}

),

versioned as (

    select
        landed_files.source_file,
        {{ cost_per_customer.landed_file_version('landed_files', 'size_bytes', 'content_sha256') }} as file_version,
        case
            when landed_files.appended_to_sha256 is not null
                then {{ cost_per_customer.landed_file_version('landed_files', 'appended_to_size_bytes', 'appended_to_sha256') }}
        end as appended_to_file_version,
        landed_files.appended_after_row

    from landed_files

)

select * from versioned
