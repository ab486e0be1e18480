{#- One row per landed billing row, with whether it counts; see _billing__models.yml. Kept file by
    file (file_kept_materialization), as int_charges_unioned is: a build flags only the rows of the
    files it read again (of a file with records appended, the new rows), and decides again for
    the rows it keeps whether they count (pre-hook refresh_kept_charges). -#}
{{ config(**cost_per_customer.file_kept_config('refresh_kept_charges')) }}
{%- set kept_files = cost_per_customer.files_kept() -%}
{%- set appended_files = cost_per_customer.files_appended() %}
-- depends_on: {{ ref('int_landed_file_versions') }}
with

charges as (

    select * from {{ ref('int_charges_unioned') }}
    where {{ cost_per_customer.in_rows_to_read('source_file', kept_files, appended_files) }}

),

service_categories as (

    select * from {{ ref('service_category_cost_categories') }}

),

winning_deliveries as (

    select * from {{ ref('int_billing_winning_deliveries') }}

),

duplicate_files as (

    select * from {{ ref('int_billing_duplicate_files') }}

),

repeated_line_items as (

    select * from {{ ref('int_billing_repeated_line_items') }}

),

{# Every row with its keys and its cost category (declared by the input, e.g. other_costs.csv,
    else from ServiceCategory). -#}
keyed as (

    select
        charges.*,
        coalesce(
            charges.declared_category,
            {{ cost_per_customer.cost_category('charges.service_category', 'service_categories.cost_category') }}
        ) as cost_category,
        {{ cost_per_customer.billing_stream_keys('charges') }}

    from charges
    left join service_categories
        on charges.service_category = service_categories.service_category

),

flagged as (

    select
        {%- for column in cost_per_customer.deduplicated_charge_columns() if column not in ['superseded_reason', 'superseded_by'] %}
        keyed.{{ column }},
        {%- endfor %}
        {{ cost_per_customer.superseded_columns('keyed') }},
        keyed.file_version

    from keyed
    {{ cost_per_customer.superseded_lookups('keyed', 'winning_deliveries', 'duplicate_files', 'repeated_line_items') }}

)

select * from flagged
