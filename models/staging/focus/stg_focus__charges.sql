{#- One row per landed FOCUS billing row: typed, normalized to the billing charge contract
    (billing_charge_columns), with the reason it must be quarantined (NULL for a good row).
    Nothing is filtered here.
    On Spark this model is a table: with each value read by its file's decimal mark and date order,
    its compiled SQL is longer than the 32,700 characters the embedded (Derby) Hive metastore can
    keep as a view's text. -#}
{{ config(materialized=('table' if target.type == 'spark' else 'view')) }}
with

source_rows as (

    select * from {{ source('focus', 'billing') }}

),

with_tags as (

    select
        source_rows.*,
        {{ cost_per_customer.parse_tags('source_rows.tags') }} as tags_map

    from source_rows

),

typed as (

    select
        source_rows._decimal_mark,
        concat(source_rows._source_file, ':', cast(source_rows._source_row as {{ dbt.type_string() }})) as charge_id,
        source_rows._source_file as source_file,
        source_rows._source_row as source_row,
        'focus' as billing_format,
        {{ cost_per_customer.clean_text('source_rows._source_variant') }} as source_variant,
        {{ cost_per_customer.parse_timestamp('source_rows._delivered_at', none) }} as delivered_at,
        cast(null as {{ dbt.type_string() }}) as line_item_id,
        {{ cost_per_customer.clean_text('billing_account_id') }} as billing_account_id,
        {{ cost_per_customer.clean_text('billing_account_name') }} as billing_account_name,
        coalesce(
            upper({{ cost_per_customer.clean_text('billing_currency') }}),
            '{{ var("cpc_default_currency", "USD") }}'
        ) as billing_currency,
        {{ cost_per_customer.clean_text('sub_account_id') }} as sub_account_id,
        {{ cost_per_customer.clean_text('sub_account_name') }} as sub_account_name,
        coalesce(
            {{ cost_per_customer.clean_text('service_provider_name') }},
            {{ cost_per_customer.clean_text('provider_name') }}
        ) as provider_name,
        {{ cost_per_customer.clean_text('publisher_name') }} as publisher_name,
        {{ cost_per_customer.clean_text('host_provider_name') }} as host_provider_name,
        {{ cost_per_customer.clean_text('invoice_issuer_name') }} as invoice_issuer_name,
        {{ cost_per_customer.clean_text('invoice_id') }} as invoice_id,
        {{ cost_per_customer.normalize_enum('charge_category', ['Usage', 'Purchase', 'Tax', 'Credit', 'Adjustment']) }} as charge_category,
        {{ cost_per_customer.normalize_enum('charge_class', ['Correction']) }} as charge_class,
        {{ cost_per_customer.normalize_enum('charge_frequency', ['One-Time', 'Recurring', 'Usage-Based']) }} as charge_frequency,
        {{ cost_per_customer.clean_text('charge_description') }} as charge_description,
        {{ cost_per_customer.normalize_enum('pricing_category', ['Standard', 'Dynamic', 'Committed', 'Other']) }} as pricing_category,
        {{ cost_per_customer.clean_text('pricing_unit') }} as pricing_unit,
        {{ cost_per_customer.clean_text('consumed_unit') }} as consumed_unit,
        {{ cost_per_customer.clean_text('service_category') }} as service_category,
        {{ cost_per_customer.clean_text('service_subcategory') }} as service_subcategory,
        {{ cost_per_customer.clean_text('service_name') }} as service_name,
        {{ cost_per_customer.clean_text('region_id') }} as region_id,
        {{ cost_per_customer.clean_text('region_name') }} as region_name,
        {{ cost_per_customer.clean_text('availability_zone') }} as availability_zone,
        {{ cost_per_customer.clean_text('resource_id') }} as resource_id,
        {{ cost_per_customer.clean_text('resource_name') }} as resource_name,
        {{ cost_per_customer.clean_text('resource_type') }} as resource_type,
        {{ cost_per_customer.clean_text('sku_id') }} as sku_id,
        {{ cost_per_customer.clean_text('sku_price_id') }} as sku_price_id,
        {{ cost_per_customer.clean_text('commitment_discount_id') }} as commitment_discount_id,
        {{ cost_per_customer.normalize_enum('commitment_discount_category', ['Spend', 'Usage']) }} as commitment_discount_category,
        {{ cost_per_customer.clean_text('commitment_discount_type') }} as commitment_discount_type,
        {{ cost_per_customer.normalize_enum('commitment_discount_status', ['Used', 'Unused']) }} as commitment_discount_status,
        {{ cost_per_customer.clean_text('tags') }} as tags,
        source_rows.tags_map,
        {{ cost_per_customer.parse_decimal('billed_cost') }} as billed_cost,
        {{ cost_per_customer.parse_decimal('effective_cost') }} as effective_cost,
        {{ cost_per_customer.parse_decimal('list_cost') }} as list_cost,
        {{ cost_per_customer.parse_decimal('contracted_cost') }} as contracted_cost,
        {{ cost_per_customer.parse_decimal('consumed_quantity') }} as consumed_quantity,
        {{ cost_per_customer.parse_decimal('pricing_quantity') }} as pricing_quantity,
        ({{ cost_per_customer.clean_text('source_rows.tags') }} is null or source_rows.tags_map is not null) as has_valid_tags,
        {{ cost_per_customer.parse_timestamp('charge_period_start') }} as charge_period_start_at,
        {{ cost_per_customer.parse_timestamp('charge_period_end') }} as charge_period_end_at,
        {{ cost_per_customer.parse_timestamp('billing_period_start') }} as billing_period_start_at,
        {{ cost_per_customer.parse_timestamp('billing_period_end') }} as billing_period_end_at,
        source_rows.charge_period_start as charge_period_start_raw,
        source_rows.charge_period_end as charge_period_end_raw,
        source_rows.effective_cost as effective_cost_raw,
        source_rows.billed_cost as billed_cost_raw,
        source_rows.list_cost as list_cost_raw

    from with_tags as source_rows

),

classified as (

    {{ cost_per_customer.classify_billing_charges('typed') }}

)

select * from classified
