{#- One row per landed Oracle Cloud cost report row, normalized to the billing charge contract
    (billing_charge_columns) with the reason it must be quarantined (NULL for a good row).
    Nothing is filtered here. BilledCost and EffectiveCost are both cost/myCost (the cost report
    has no amortization); a correction row (lineItem/isCorrection) is an Adjustment of class
    Correction. -#}
with

source_rows as (

    select * from {{ source('oci', 'billing_oci') }}

),

service_categories as (

    select * from {{ ref('provider_service_categories') }}

),

{# Every value the mapping reads, as clean text. -#}
cleaned as (

    select
        source_rows._source_file as source_file,
        source_rows._source_row as source_row,
        {{ cost_per_customer.clean_text('source_rows._delivered_at') }} as delivered_at_text,
        {{ cost_per_customer.clean_text('source_rows.line_item_interval_usage_start') }} as interval_usage_start_text,
        {{ cost_per_customer.clean_text('source_rows.line_item_interval_usage_end') }} as interval_usage_end_text,
        {{ cost_per_customer.clean_text('source_rows.cost_my_cost') }} as my_cost_text,
        {{ cost_per_customer.clean_text('source_rows.usage_billed_quantity') }} as billed_quantity_text,
        source_rows._decimal_mark,
        source_rows._date_order,
        {{ cost_per_customer.clean_text('source_rows._source_variant') }} as source_variant,
        {{ cost_per_customer.clean_text('source_rows.line_item_reference_no') }} as reference_no,
        {{ cost_per_customer.clean_text('source_rows.line_item_tenant_id') }} as tenant_id,
        upper({{ cost_per_customer.clean_text('source_rows.cost_currency_code') }}) as currency_code,
        {{ cost_per_customer.clean_text('source_rows.product_compartment_id') }} as compartment_id,
        {{ cost_per_customer.clean_text('source_rows.product_compartment_name') }} as compartment_name,
        {{ cost_per_customer.clean_text('source_rows.product_service') }} as service,
        {{ cost_per_customer.clean_text('source_rows.product_region') }} as region,
        {{ cost_per_customer.clean_text('source_rows.product_availability_domain') }} as availability_domain,
        {{ cost_per_customer.clean_text('source_rows.product_resource_id') }} as resource_id,
        {{ cost_per_customer.clean_text('source_rows.product_description') }} as product_description,
        {{ cost_per_customer.clean_text('source_rows.cost_product_sku') }} as product_sku,
        {{ cost_per_customer.clean_text('source_rows.cost_sku_unit_description') }} as sku_unit_description,
        coalesce(
            lower({{ cost_per_customer.clean_text('source_rows.line_item_is_correction') }}) in ('true', 't', 'yes', 'y', '1'),
            false
        ) as is_correction,
        {{ cost_per_customer.clean_text('source_rows.tags') }} as tags,
        source_rows.line_item_interval_usage_start as interval_usage_start_raw,
        source_rows.line_item_interval_usage_end as interval_usage_end_raw,
        source_rows.cost_my_cost as my_cost_raw,
        source_rows.usage_billed_quantity as billed_quantity_raw

    from source_rows

),

{{ cost_per_customer.read_decimals(
    'cleaned', {'my_cost': 'my_cost_text', 'billed_quantity': 'billed_quantity_text'}, as_cte='amounts_read'
) }},

{# Timestamps read (delivered_at is ISO 8601 text written by `cpc land`: no date order applies to it). -#}
{{ cost_per_customer.read_timestamps('amounts_read', {
    'delivered_at': 'delivered_at_text',
    'interval_usage_start_at': 'interval_usage_start_text',
    'interval_usage_end_at': 'interval_usage_end_text',
}, as_cte='timestamps_read') }},

{# Tags read; the FOCUS ServiceCategory the seed lists for the service. -#}
with_timestamps as (

    select
        timestamps_read.*,
        {{ cost_per_customer.parse_tags('timestamps_read.tags') }} as tags_map,
        service_categories.service_category as listed_service_category

    from timestamps_read
    left join service_categories
        on service_categories.provider = 'oci'
        and service_categories.source_column = 'service_name'
        and lower(timestamps_read.service) = service_categories.service_key

),

with_billing_period as (

    select
        with_timestamps.*,
        {{ cost_per_customer.month_start('with_timestamps.interval_usage_start_at') }} as billing_period_start_date

    from with_timestamps

),

typed as (

    select
        charges._decimal_mark,
        concat(charges.source_file, ':', cast(charges.source_row as {{ dbt.type_string() }})) as charge_id,
        charges.source_file,
        charges.source_row,
        'oci' as billing_format,
        charges.source_variant,
        charges.delivered_at,
        charges.reference_no as line_item_id,
        charges.tenant_id as billing_account_id,
        cast(null as {{ dbt.type_string() }}) as billing_account_name,
        coalesce(charges.currency_code, '{{ var("cpc_default_currency", "USD") }}') as billing_currency,
        charges.compartment_id as sub_account_id,
        charges.compartment_name as sub_account_name,
        'Oracle Cloud Infrastructure' as provider_name,
        'Oracle Cloud Infrastructure' as publisher_name,
        cast(null as {{ dbt.type_string() }}) as host_provider_name,
        cast(null as {{ dbt.type_string() }}) as invoice_issuer_name,
        cast(null as {{ dbt.type_string() }}) as invoice_id,
        case when charges.is_correction then 'Adjustment' else 'Usage' end as charge_category,
        case when charges.is_correction then 'Correction' end as charge_class,
        'Usage-Based' as charge_frequency,
        charges.product_description as charge_description,
        cast(null as {{ dbt.type_string() }}) as pricing_category,
        charges.sku_unit_description as pricing_unit,
        charges.sku_unit_description as consumed_unit,
        {{ cost_per_customer.provider_service_category('charges.listed_service_category', 'charges.service') }} as service_category,
        cast(null as {{ dbt.type_string() }}) as service_subcategory,
        charges.service as service_name,
        charges.region as region_id,
        cast(null as {{ dbt.type_string() }}) as region_name,
        charges.availability_domain as availability_zone,
        charges.resource_id,
        cast(null as {{ dbt.type_string() }}) as resource_name,
        {#- An OCID names its resource type: ocid1.<type>.<realm>.<region>.<id>. #}
        case when charges.resource_id like 'ocid1.%' then split_part(charges.resource_id, '.', 2) end as resource_type,
        charges.product_sku as sku_id,
        cast(null as {{ dbt.type_string() }}) as sku_price_id,
        cast(null as {{ dbt.type_string() }}) as commitment_discount_id,
        cast(null as {{ dbt.type_string() }}) as commitment_discount_category,
        cast(null as {{ dbt.type_string() }}) as commitment_discount_type,
        cast(null as {{ dbt.type_string() }}) as commitment_discount_status,
        charges.tags,
        charges.tags_map,
        charges.my_cost as billed_cost,
        charges.my_cost as effective_cost,
        cast(null as {{ cost_per_customer.money_type() }}) as list_cost,
        cast(null as {{ cost_per_customer.money_type() }}) as contracted_cost,
        charges.billed_quantity as consumed_quantity,
        charges.billed_quantity as pricing_quantity,
        (charges.tags is null or charges.tags_map is not null) as has_valid_tags,
        charges.interval_usage_start_at as charge_period_start_at,
        charges.interval_usage_end_at as charge_period_end_at,
        cast(charges.billing_period_start_date as timestamp) as billing_period_start_at,
        cast({{ cost_per_customer.add_months('charges.billing_period_start_date', 1) }} as timestamp) as billing_period_end_at,
        charges.interval_usage_start_raw as charge_period_start_raw,
        charges.interval_usage_end_raw as charge_period_end_raw,
        charges.my_cost_raw as effective_cost_raw,
        charges.my_cost_raw as billed_cost_raw,
        cast(null as {{ dbt.type_string() }}) as list_cost_raw

    from with_billing_period as charges

),

{{ cost_per_customer.classify_billing_charges('typed', labels={
    'charge_period_start': 'lineItem/intervalUsageStart',
    'charge_period_end': 'lineItem/intervalUsageEnd',
    'effective_cost': 'cost/myCost',
    'billed_cost': 'cost/myCost',
    'tags': 'tags/*',
}) }}

select * from classified
