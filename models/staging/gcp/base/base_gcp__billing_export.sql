{#- One row per landed Google Cloud billing export row, each landed column cleaned and read once (see _gcp__base_models.yml). -#}
{%- set amounts = ['cost', 'cost_at_list', 'usage_amount', 'usage_amount_in_pricing_units'] -%}
{%- set amounts_read = {} -%}
{%- for amount in amounts -%}
    {%- do amounts_read.update({amount: amount ~ '_text'}) -%}
{%- endfor -%}
with

source_rows as (

    select * from {{ source('gcp', 'billing_gcp') }}

),

service_categories as (

    select * from {{ ref('provider_service_categories') }}

),

{# Every value the mapping reads, as clean text. BigQuery writes timestamps as
    '2024-01-05 13:00:00 UTC': the zone name is dropped (the value is UTC) so that every engine's
    parse_timestamp reads it. invoice.month 'YYYYMM' (or 'YYYY-MM') becomes its first day. -#}
cleaned as (

    select
        source_rows._source_file as source_file,
        source_rows._source_row as source_row,
        {{ cost_per_customer.clean_text('source_rows._delivered_at') }} as delivered_at_text,
        source_rows._decimal_mark,
        source_rows._date_order,
        {{ cost_per_customer.clean_text('source_rows._source_variant') }} as source_variant,
        {{ cost_per_customer.clean_text('source_rows.billing_account_id') }} as billing_account_id,
        upper({{ cost_per_customer.clean_text('source_rows.currency') }}) as currency,
        {{ cost_per_customer.clean_text('source_rows.project_id') }} as project_id,
        {{ cost_per_customer.clean_text('source_rows.project_name') }} as project_name,
        {{ cost_per_customer.clean_text('source_rows.seller_name') }} as seller_name,
        lower(replace({{ cost_per_customer.clean_text('source_rows.cost_type') }}, ' ', '_')) as cost_type,
        upper({{ cost_per_customer.clean_text('source_rows.adjustment_info_type') }}) as adjustment_type,
        {{ cost_per_customer.clean_text('source_rows.service_description') }} as service_description,
        {{ cost_per_customer.clean_text('source_rows.sku_id') }} as sku_id,
        {{ cost_per_customer.clean_text('source_rows.sku_description') }} as sku_description,
        coalesce(
            {{ cost_per_customer.clean_text('source_rows.usage_pricing_unit') }},
            {{ cost_per_customer.clean_text('source_rows.price_unit') }}
        ) as pricing_unit,
        {{ cost_per_customer.clean_text('source_rows.usage_unit') }} as usage_unit,
        coalesce(
            {{ cost_per_customer.clean_text('source_rows.location_region') }},
            {{ cost_per_customer.clean_text('source_rows.location_location') }}
        ) as region,
        {{ cost_per_customer.clean_text('source_rows.location_zone') }} as zone,
        {{ cost_per_customer.clean_text('source_rows.resource_global_name') }} as resource_global_name,
        {{ cost_per_customer.clean_text('source_rows.resource_name') }} as resource_name,
        {{ cost_per_customer.clean_text('source_rows.labels') }} as labels,
        {{ cost_per_customer.clean_text('source_rows.credits') }} as credits,
        case
            when length(trim(source_rows.invoice_month)) = 6 then concat(
                substr(trim(source_rows.invoice_month), 1, 4), '-',
                substr(trim(source_rows.invoice_month), 5, 2), '-01'
            )
            when length(trim(source_rows.invoice_month)) = 7
                then concat(trim(source_rows.invoice_month), '-01')
            else trim(source_rows.invoice_month)
        end as invoice_month_first_day,
        regexp_replace(trim(source_rows.usage_start_time), ' UTC$', '') as usage_start_time,
        regexp_replace(trim(source_rows.usage_end_time), ' UTC$', '') as usage_end_time,
        source_rows.usage_start_time as usage_start_time_raw,
        source_rows.usage_end_time as usage_end_time_raw,
        source_rows.cost as cost_raw,
        source_rows.cost_at_list as cost_at_list_raw,
        {%- for amount in amounts %}
        {{ cost_per_customer.clean_text('source_rows.' ~ amount) }} as {{ amount }}_text{{ "," if not loop.last }}
        {%- endfor %}

    from source_rows

),

{{ cost_per_customer.read_decimals('cleaned', amounts_read, as_cte='amounts_read') }},

{# Timestamps (cleaned once more: the zone name or month layout was rewritten). -#}
{{ cost_per_customer.read_timestamps('amounts_read', {
    'delivered_at': 'delivered_at_text',
    'usage_start_at': cost_per_customer.clean_text('usage_start_time'),
    'usage_end_at': cost_per_customer.clean_text('usage_end_time'),
    'invoice_month_start_at': cost_per_customer.clean_text('invoice_month_first_day'),
}, as_cte='timestamps_read') }},

{# Labels and credits. -#}
parsed as (

    select
        timestamps_read.*,
        {{ cost_per_customer.parse_json_records('labels', ['key', 'value']) }} as label_records,
        {{ cost_per_customer.parse_json_records('credits', ['amount']) }} as credit_records

    from timestamps_read

),

{# The invoice month's first day; the FOCUS ServiceCategory the seed lists for the service. -#}
with_timestamps as (

    select
        parsed.*,
        {{ cost_per_customer.month_start('parsed.invoice_month_start_at') }} as invoice_month_start_date,
        service_categories.service_category as listed_service_category

    from parsed
    left join service_categories
        on service_categories.provider = 'gcp'
        and service_categories.source_column = 'service_name'
        and lower(parsed.service_description) = service_categories.service_key

),

{# credits_amount is NULL when credits is not a JSON array of records with a numeric amount; the
    billing period falls back to the usage month when the row has no readable invoice month. -#}
with_credits_and_labels as (

    select
        with_timestamps.*,
        case
            when with_timestamps.credits is null then cast(0 as {{ cost_per_customer.money_type() }})
            else {{ cost_per_customer.sum_json_record_field('with_timestamps.credit_records', 'amount') }}
        end as credits_amount,
        {{ cost_per_customer.key_value_records_to_map('with_timestamps.label_records') }} as tags_map,
        coalesce(
            with_timestamps.invoice_month_start_date,
            {{ cost_per_customer.month_start('with_timestamps.usage_start_at') }}
        ) as billing_period_start_date

    from with_timestamps

)

select * from with_credits_and_labels
