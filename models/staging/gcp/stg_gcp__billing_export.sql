{#- One row per landed Google Cloud billing export row (standard or detailed usage cost, JSON lines
    or CSV), normalized to the billing charge contract (billing_charge_columns) with the reason it
    must be quarantined (NULL for a good row). Nothing is filtered here.
    EffectiveCost is cost plus the sum of credits[].amount (credits are negative); BilledCost is
    cost. Tags are the resource labels (labels[]), not project.labels or system_labels.
    Every landed column is cleaned once (cleaned) and read once (amounts_read, parsed). -#}
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

{# Timestamps (cleaned once more: the zone name or month layout was rewritten), labels and credits. -#}
parsed as (

    select
        amounts_read.*,
        {{ cost_per_customer.read_timestamp_list([
            'delivered_at_text',
            cost_per_customer.clean_text('usage_start_time'),
            cost_per_customer.clean_text('usage_end_time'),
            cost_per_customer.clean_text('invoice_month_first_day'),
        ]) }} as timestamps_read,
        {{ cost_per_customer.parse_json_records('labels', ['key', 'value']) }} as label_records,
        {{ cost_per_customer.parse_json_records('credits', ['amount']) }} as credit_records

    from amounts_read

),

{# The timestamps apart; the FOCUS ServiceCategory the seed lists for the service. -#}
with_timestamps as (

    select
        parsed.*,
        {{ cost_per_customer.list_element('parsed.timestamps_read', 1) }} as delivered_at,
        {{ cost_per_customer.list_element('parsed.timestamps_read', 2) }} as usage_start_at,
        {{ cost_per_customer.list_element('parsed.timestamps_read', 3) }} as usage_end_at,
        {{ cost_per_customer.month_start(cost_per_customer.list_element('parsed.timestamps_read', 4)) }} as invoice_month_start_date,
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

),

typed as (

    select
        charges._decimal_mark,
        concat(charges.source_file, ':', cast(charges.source_row as {{ dbt.type_string() }})) as charge_id,
        charges.source_file,
        charges.source_row,
        'gcp' as billing_format,
        charges.source_variant,
        charges.delivered_at,
        cast(null as {{ dbt.type_string() }}) as line_item_id,
        charges.billing_account_id,
        cast(null as {{ dbt.type_string() }}) as billing_account_name,
        coalesce(charges.currency, '{{ var("cpc_default_currency", "USD") }}') as billing_currency,
        charges.project_id as sub_account_id,
        charges.project_name as sub_account_name,
        'Google Cloud' as provider_name,
        coalesce(charges.seller_name, 'Google Cloud') as publisher_name,
        cast(null as {{ dbt.type_string() }}) as host_provider_name,
        cast(null as {{ dbt.type_string() }}) as invoice_issuer_name,
        cast(null as {{ dbt.type_string() }}) as invoice_id,
        case
            when charges.cost_type = 'tax' then 'Tax'
            when charges.cost_type = 'adjustment'
                and charges.adjustment_type in ('GOODWILL', 'SALES_BASED_GOODWILL', 'SLA_VIOLATION') then 'Credit'
            when charges.cost_type in ('adjustment', 'rounding_error') then 'Adjustment'
            else 'Usage'
        end as charge_category,
        case
            when charges.cost_type = 'adjustment'
                and charges.adjustment_type in ('USAGE_CORRECTION', 'PRICE_CORRECTION', 'METADATA_CORRECTION') then 'Correction'
        end as charge_class,
        case
            when coalesce(charges.cost_type, 'regular') = 'regular' then 'Usage-Based'
            else 'One-Time'
        end as charge_frequency,
        charges.sku_description as charge_description,
        cast(null as {{ dbt.type_string() }}) as pricing_category,
        charges.pricing_unit,
        charges.usage_unit as consumed_unit,
        {{ cost_per_customer.provider_service_category(
            'charges.listed_service_category', 'charges.service_description'
        ) }} as service_category,
        cast(null as {{ dbt.type_string() }}) as service_subcategory,
        charges.service_description as service_name,
        charges.region as region_id,
        cast(null as {{ dbt.type_string() }}) as region_name,
        charges.zone as availability_zone,
        coalesce(charges.resource_global_name, charges.resource_name) as resource_id,
        charges.resource_name,
        cast(null as {{ dbt.type_string() }}) as resource_type,
        charges.sku_id,
        cast(null as {{ dbt.type_string() }}) as sku_price_id,
        cast(null as {{ dbt.type_string() }}) as commitment_discount_id,
        cast(null as {{ dbt.type_string() }}) as commitment_discount_category,
        cast(null as {{ dbt.type_string() }}) as commitment_discount_type,
        cast(null as {{ dbt.type_string() }}) as commitment_discount_status,
        case
            when cardinality(charges.tags_map) > 0 then cast(to_json(charges.tags_map) as {{ dbt.type_string() }})
        end as tags,
        charges.tags_map,
        charges.cost as billed_cost,
        cast(charges.cost + charges.credits_amount as {{ cost_per_customer.money_type() }}) as effective_cost,
        charges.cost_at_list as list_cost,
        cast(null as {{ cost_per_customer.money_type() }}) as contracted_cost,
        charges.usage_amount as consumed_quantity,
        charges.usage_amount_in_pricing_units as pricing_quantity,
        (charges.labels is null or charges.tags_map is not null) as has_valid_tags,
        charges.usage_start_at as charge_period_start_at,
        charges.usage_end_at as charge_period_end_at,
        cast(charges.billing_period_start_date as timestamp) as billing_period_start_at,
        cast({{ cost_per_customer.add_months('charges.billing_period_start_date', 1) }} as timestamp) as billing_period_end_at,
        charges.usage_start_time_raw as charge_period_start_raw,
        charges.usage_end_time_raw as charge_period_end_raw,
        charges.cost_raw as effective_cost_raw,
        charges.cost_raw as billed_cost_raw,
        charges.cost_at_list_raw as list_cost_raw

    from with_credits_and_labels as charges

),

{{ cost_per_customer.classify_billing_charges('typed', labels={
    'charge_period_start': 'usage_start_time',
    'charge_period_end': 'usage_end_time',
    'effective_cost': 'cost',
    'billed_cost': 'cost',
    'list_cost': 'cost_at_list',
    'tags': 'labels',
}) }},

{# Reasons in the export's own terms: EffectiveCost is unreadable either because cost is (the
    reason stays 'unparseable cost') or because credits is not a JSON array of amounts while cost
    reads fine; labels must be a JSON array of key/value records. -#}
with_export_reasons as (

    select
        {%- for column in cost_per_customer.billing_charge_columns() %}
        {%- if column == 'quarantine_reason' %}
        case
            when classified.quarantine_reason = 'unparseable cost' and classified.billed_cost is not null
                then 'unparseable credits'
            when classified.quarantine_reason = 'labels is not a JSON object'
                then 'labels is not a JSON array of key/value records'
            else classified.quarantine_reason
        end as quarantine_reason{{ "," if not loop.last }}
        {%- else %}
        classified.{{ column }}{{ "," if not loop.last }}
        {%- endif %}
        {%- endfor %}

    from classified

)

select * from with_export_reasons
