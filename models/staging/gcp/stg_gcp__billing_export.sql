{#- One row per landed Google Cloud billing export row in the billing charge contract, with its quarantine reason (see _gcp__models.yml). -#}
with

export_rows as (

    select * from {{ ref('base_gcp__billing_export') }}

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

    from export_rows as charges

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
