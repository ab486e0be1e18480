{#- One row per landed FOCUS billing row: typed, normalized to the billing charge contract
    (billing_charge_columns), with the reason it must be quarantined (NULL for a good row).
    Nothing is filtered here. Every landed column is cleaned once (cleaned) and read once
    (amounts_read, timestamps_read). -#}
{%- set text_columns = [
    'billing_account_id', 'billing_account_name', 'billing_currency', 'sub_account_id', 'sub_account_name',
    'service_provider_name', 'provider_name', 'publisher_name', 'host_provider_name', 'invoice_issuer_name',
    'invoice_id', 'charge_category', 'charge_class', 'charge_frequency', 'charge_description', 'pricing_category',
    'pricing_unit', 'consumed_unit', 'service_category', 'service_subcategory', 'service_name', 'region_id',
    'region_name', 'availability_zone', 'resource_id', 'resource_name', 'resource_type', 'sku_id', 'sku_price_id',
    'commitment_discount_id', 'commitment_discount_category', 'commitment_discount_type',
    'commitment_discount_status', 'tags',
] -%}
{%- set amount_columns = [
    'billed_cost', 'effective_cost', 'list_cost', 'contracted_cost', 'consumed_quantity', 'pricing_quantity',
] -%}
{%- set timestamp_columns = ['charge_period_start', 'charge_period_end', 'billing_period_start', 'billing_period_end'] -%}
{%- set texts = {'source_variant': '_source_variant', 'delivered_at_text': '_delivered_at'} -%}
{%- for column in text_columns -%}
    {%- do texts.update({column: column}) -%}
{%- endfor -%}
{%- set amounts = {} -%}
{%- for column in amount_columns -%}
    {%- do texts.update({column ~ '_text': column}) -%}
    {%- do amounts.update({column: column ~ '_text'}) -%}
{%- endfor -%}
{#- delivered_at is ISO 8601 text written by `cpc land`: no date order applies to it. -#}
{%- set timestamps = {'delivered_at': 'delivered_at_text'} -%}
{%- for column in timestamp_columns -%}
    {%- do texts.update({column ~ '_text': column}) -%}
    {%- do timestamps.update({column ~ '_at': column ~ '_text'}) -%}
{%- endfor -%}
with

source_rows as (

    select * from {{ source('focus', 'billing') }}

),

{# Landed text as it is (for the *_raw columns and the tags' JSON) beside its cleaned form. -#}
landed as (

    select
        source_rows.*,
        source_rows.tags as tags_landed,
        source_rows.charge_period_start as charge_period_start_raw,
        source_rows.charge_period_end as charge_period_end_raw,
        source_rows.effective_cost as effective_cost_raw,
        source_rows.billed_cost as billed_cost_raw,
        source_rows.list_cost as list_cost_raw

    from source_rows

),

{{ cost_per_customer.clean_columns('landed', texts, keep=[
    '_source_file', '_source_row', '_decimal_mark', '_date_order', 'tags_landed', 'charge_period_start_raw',
    'charge_period_end_raw', 'effective_cost_raw', 'billed_cost_raw', 'list_cost_raw',
]) }},

{{ cost_per_customer.read_decimals('cleaned', amounts, as_cte='amounts_read') }},

{{ cost_per_customer.read_timestamps('amounts_read', timestamps, as_cte='timestamps_read') }},

tags_read as (

    select
        timestamps_read.*,
        {{ cost_per_customer.parse_tags('tags_landed') }} as tags_map

    from timestamps_read

),

typed as (

    select
        _decimal_mark,
        concat(_source_file, ':', cast(_source_row as {{ dbt.type_string() }})) as charge_id,
        _source_file as source_file,
        _source_row as source_row,
        'focus' as billing_format,
        source_variant,
        delivered_at,
        cast(null as {{ dbt.type_string() }}) as line_item_id,
        billing_account_id,
        billing_account_name,
        coalesce(upper(billing_currency), '{{ var("cpc_default_currency", "USD") }}') as billing_currency,
        sub_account_id,
        sub_account_name,
        coalesce(service_provider_name, provider_name) as provider_name,
        publisher_name,
        host_provider_name,
        invoice_issuer_name,
        invoice_id,
        {{ cost_per_customer.normalize_enum('charge_category', ['Usage', 'Purchase', 'Tax', 'Credit', 'Adjustment']) }} as charge_category,
        {{ cost_per_customer.normalize_enum('charge_class', ['Correction']) }} as charge_class,
        {{ cost_per_customer.normalize_enum('charge_frequency', ['One-Time', 'Recurring', 'Usage-Based']) }} as charge_frequency,
        charge_description,
        {{ cost_per_customer.normalize_enum('pricing_category', ['Standard', 'Dynamic', 'Committed', 'Other']) }} as pricing_category,
        pricing_unit,
        consumed_unit,
        service_category,
        service_subcategory,
        service_name,
        region_id,
        region_name,
        availability_zone,
        resource_id,
        resource_name,
        resource_type,
        sku_id,
        sku_price_id,
        commitment_discount_id,
        {{ cost_per_customer.normalize_enum('commitment_discount_category', ['Spend', 'Usage']) }} as commitment_discount_category,
        commitment_discount_type,
        {{ cost_per_customer.normalize_enum('commitment_discount_status', ['Used', 'Unused']) }} as commitment_discount_status,
        tags,
        tags_map,
        {%- for column in amount_columns %}
        {{ column }},
        {%- endfor %}
        (tags is null or tags_map is not null) as has_valid_tags,
        charge_period_start_at,
        charge_period_end_at,
        billing_period_start_at,
        billing_period_end_at,
        charge_period_start_raw,
        charge_period_end_raw,
        effective_cost_raw,
        billed_cost_raw,
        list_cost_raw

    from tags_read

),

{{ cost_per_customer.classify_billing_charges('typed') }}

select * from classified
