{#- One row per landed billing row of every format, nothing filtered; see _billing__models.yml. Kept
    file by file (file_kept_materialization): a build reads again only the files whose landed
    version changed, and of a file re-delivered with records appended only the new rows; it brings
    the delivery time of the others up to date. -#}
{{ config(**cost_per_customer.file_kept_config('refresh_billing_delivery_times')) }}
{%- set columns = cost_per_customer.billing_charge_columns() -%}
{%- set kept_files = cost_per_customer.files_kept() -%}
{%- set appended_files = cost_per_customer.files_appended() -%}
with

{% for model in cost_per_customer.billing_staging_models() -%}
{{ model }} as (

    select * from {{ ref(model) }}
    where {{ cost_per_customer.in_rows_to_read('source_file', kept_files, appended_files) }}

),

{% endfor -%}
file_versions as (

    select * from {{ ref('int_landed_file_versions') }}

),

unioned as (

    {%- for model in cost_per_customer.billing_staging_models() %}
    select
        {%- for column in columns %}
        {{ model }}.{{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ model }}
    {{ "union all" if not loop.last }}
    {%- endfor %}

),

versioned as (

    select
        unioned.*,
        file_versions.file_version

    from unioned
    left join file_versions
        on unioned.source_file = file_versions.source_file

)

select * from versioned
