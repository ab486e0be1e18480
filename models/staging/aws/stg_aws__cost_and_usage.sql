{#- One row per landed AWS CUR row in the billing charge contract, with its quarantine reason (see _aws__models.yml). -#}
{%- set usage_types = "'Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage', 'SavingsPlanNegation'" -%}
{%- set covered_usage_types = "'DiscountedUsage', 'SavingsPlanCoveredUsage', 'SavingsPlanNegation'" -%}
{%- set purchase_types = "'RIFee', 'SavingsPlanRecurringFee', 'SavingsPlanUpfrontFee', 'Fee'" -%}
with

line_items as (

    select * from {{ ref('base_aws__cost_and_usage') }}

),

typed as (

    select
        _decimal_mark,
        concat(_source_file, ':', cast(_source_row as {{ dbt.type_string() }})) as charge_id,
        _source_file as source_file,
        _source_row as source_row,
        'aws_cur' as billing_format,
        _source_variant as source_variant,
        delivered_at,
        case
            when identity_line_item_id is not null
                then concat(identity_line_item_id, '|', coalesce(identity_time_interval, ''))
        end as line_item_id,
        bill_payer_account_id as billing_account_id,
        bill_payer_account_name as billing_account_name,
        coalesce(upper(line_item_currency_code), '{{ var("cpc_default_currency", "USD") }}') as billing_currency,
        line_item_usage_account_id as sub_account_id,
        line_item_usage_account_name as sub_account_name,
        'AWS' as provider_name,
        line_item_legal_entity as publisher_name,
        'AWS' as host_provider_name,
        bill_invoicing_entity as invoice_issuer_name,
        bill_invoice_id as invoice_id,
        case
            when line_item_type in ({{ usage_types }}) then 'Usage'
            when line_item_type in ({{ purchase_types }}) then 'Purchase'
            when line_item_type = 'Tax' then 'Tax'
            when line_item_type in ('Credit', 'Refund') or is_discount then 'Credit'
            when line_item_type is not null then 'Adjustment'
        end as charge_category,
        case when line_item_type = 'Refund' then 'Correction' end as charge_class,
        case
            when line_item_type in ({{ usage_types }}, 'Tax') or is_discount then 'Usage-Based'
            when line_item_type in ('RIFee', 'SavingsPlanRecurringFee') then 'Recurring'
            when line_item_type is not null then 'One-Time'
        end as charge_frequency,
        line_item_line_item_description as charge_description,
        case
            when line_item_type in ({{ covered_usage_types }}) then 'Committed'
            when line_item_type = 'Usage'
                and (lower(pricing_term) = 'spot' or line_item_usage_type like '%SpotUsage%')
                then 'Dynamic'
            when line_item_type = 'Usage' then 'Standard'
        end as pricing_category,
        pricing_unit,
        case when line_item_type in ({{ usage_types }}) then pricing_unit end as consumed_unit,
        case
            when line_item_type <> 'Tax' or line_item_type is null
                then {{ cost_per_customer.aws_cur_service_category(
                    'listed_service_category', 'line_item_product_code', 'product_product_family'
                ) }}
        end as service_category,
        cast(null as {{ dbt.type_string() }}) as service_subcategory,
        coalesce(
            product_product_name,
            product_map_name,
            line_item_product_code
        ) as service_name,
        coalesce(
            product_region_code,
            product_region,
            product_map_region
        ) as region_id,
        cast(null as {{ dbt.type_string() }}) as region_name,
        line_item_availability_zone as availability_zone,
        line_item_resource_id as resource_id,
        cast(null as {{ dbt.type_string() }}) as resource_name,
        cast(null as {{ dbt.type_string() }}) as resource_type,
        product_sku as sku_id,
        cast(null as {{ dbt.type_string() }}) as sku_price_id,
        coalesce(savings_plan_savings_plan_a_r_n, reservation_reservation_a_r_n) as commitment_discount_id,
        case
            when savings_plan_savings_plan_a_r_n is not null then 'Spend'
            when reservation_reservation_a_r_n is not null then 'Usage'
        end as commitment_discount_category,
        case
            when savings_plan_savings_plan_a_r_n is not null then 'Savings Plan'
            when reservation_reservation_a_r_n is not null then 'Reserved Instance'
        end as commitment_discount_type,
        case
            when line_item_type in ({{ covered_usage_types }}) then 'Used'
            when line_item_type in ('RIFee', 'SavingsPlanRecurringFee') then 'Unused'
        end as commitment_discount_status,
        resource_tags as tags,
        tags_map,
        billed_cost,
        effective_cost,
        list_cost,
        cast(null as {{ cost_per_customer.money_type() }}) as contracted_cost,
        case when line_item_type in ({{ usage_types }}) then usage_amount end as consumed_quantity,
        usage_amount as pricing_quantity,
        (resource_tags is null or tags_map is not null) as has_valid_tags,
        usage_start_at as charge_period_start_at,
        usage_end_at as charge_period_end_at,
        billing_period_start_at,
        billing_period_end_at,
        line_item_usage_start_date as charge_period_start_raw,
        line_item_usage_end_date as charge_period_end_raw,
        effective_cost_raw,
        line_item_cost_text as billed_cost_raw,
        pricing_public_on_demand_cost as list_cost_raw

    from line_items

),

{{ cost_per_customer.classify_billing_charges('typed', labels={
    'charge_period_start': 'lineItem/UsageStartDate',
    'charge_period_end': 'lineItem/UsageEndDate',
    'effective_cost': 'lineItem/UnblendedCost (or the reservation/savingsPlan cost its LineItemType uses)',
    'billed_cost': 'lineItem/NetUnblendedCost or lineItem/UnblendedCost',
    'list_cost': 'pricing/publicOnDemandCost',
    'tags': 'resourceTags',
}) }}

select * from classified
