{#- One row per billing file identical to an earlier file of its delivery; see _billing__models.yml. -#}
{#- Every contract column but the row's own identity (file, row, delivery time) and the parsed tag
    map (its text is in `tags`; Spark cannot hash a map). -#}
{%- set fingerprint_columns = [] -%}
{%- for column in cost_per_customer.billing_charge_columns() -%}
    {%- if column not in ['charge_id', 'source_file', 'source_row', 'delivered_at', 'tags_map'] -%}
        {%- do fingerprint_columns.append('charges_to_fingerprint.' ~ column) -%}
    {%- endif -%}
{%- endfor -%}
with

{# The billing rows are read twice, narrow (row counts) and then only for the same-size files,
   rather than through one shared CTE (which the engine would materialize whole). #}
charges as (

    select * from {{ ref('int_charges_unioned') }}

),

charges_to_fingerprint as (

    select * from {{ ref('int_charges_unioned') }}

),

file_rows as (

    select
        charges.billing_format,
        charges.source_file,
        {{ cost_per_customer.billing_stream_keys('charges') }}

    from charges

),

files as (

    select
        file_rows.billing_format,
        file_rows.delivery_id,
        file_rows.source_file,
        count(*) as row_count

    from file_rows
    group by file_rows.billing_format, file_rows.delivery_id, file_rows.source_file

),

{# Files with another file of the same format, delivery and row count: the only candidates, and the
   only files whose rows are fingerprinted (usually none; hashing every column of every billing row
   is the expensive part). -#}
same_size_files as (

    select distinct files.source_file

    from files
    inner join files as other_files
        on files.billing_format = other_files.billing_format
        and files.delivery_id = other_files.delivery_id
        and files.row_count = other_files.row_count
        and files.source_file <> other_files.source_file

),

fingerprinted_rows as (

    select
        charges_to_fingerprint.billing_format,
        charges_to_fingerprint.source_file,
        {{ cost_per_customer.billing_stream_keys('charges_to_fingerprint') }},
        {{ cost_per_customer.row_fingerprint(fingerprint_columns) }} as row_fingerprint

    from charges_to_fingerprint
    inner join same_size_files
        on charges_to_fingerprint.source_file = same_size_files.source_file

),

fingerprinted_files as (

    select
        fingerprinted_rows.billing_format,
        fingerprinted_rows.delivery_id,
        fingerprinted_rows.source_file,
        count(*) as row_count,
        sum(fingerprinted_rows.row_fingerprint) as file_fingerprint

    from fingerprinted_rows
    group by fingerprinted_rows.billing_format, fingerprinted_rows.delivery_id, fingerprinted_rows.source_file

),

duplicate_files as (

    select
        later_files.source_file,
        min(earlier_files.source_file) as original_file

    from fingerprinted_files as later_files
    inner join fingerprinted_files as earlier_files
        on later_files.billing_format = earlier_files.billing_format
        and later_files.delivery_id = earlier_files.delivery_id
        and later_files.row_count = earlier_files.row_count
        and later_files.file_fingerprint = earlier_files.file_fingerprint
        and later_files.source_file > earlier_files.source_file
    group by later_files.source_file

)

select * from duplicate_files
