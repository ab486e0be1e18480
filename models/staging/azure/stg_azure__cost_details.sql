{#- One row per landed Azure cost details row in the billing charge contract, with its quarantine reason (see _azure__models.yml). -#}
{%- set unused_kinds = "('unusedreservation', 'unusedsavingsplan')" -%}
with

cost_rows as (

    select * from {{ ref('base_azure__cost_details') }}

),

{# A commitment row (its purchase, refund, usage or unused part): a savings plan when its
    benefitId is under /microsoft.billingbenefits/ or the row says SavingsPlan, else a reservation
    when it names a commitment or says Reservation. -#}
flagged as (

    select
        cost_rows.*,
        case
            when lower(cost_rows.commitment_id) like '%/microsoft.billingbenefits/%'
                or cost_rows.charge_kind = 'unusedsavingsplan'
                or cost_rows.pricing_model_key = 'savingsplan'
                then 'Savings Plan'
            when cost_rows.commitment_id is not null
                or cost_rows.charge_kind = 'unusedreservation'
                or cost_rows.pricing_model_key = 'reservation'
                then 'Reservation'
        end as commitment_discount_type

    from cost_rows

),

typed as (

    select
        flagged._decimal_mark,
        concat(flagged._source_file, ':', cast(flagged._source_row as {{ dbt.type_string() }})) as charge_id,
        flagged._source_file as source_file,
        flagged._source_row as source_row,
        'azure' as billing_format,
        flagged.source_variant,
        flagged.delivered_at,
        cast(null as {{ dbt.type_string() }}) as line_item_id,
        {# FOCUS BillingAccountId is the invoiced scope: the MCA billing profile; on EA the
            profile is the enrollment, the same as BillingAccountId. #}
        coalesce(
            flagged.billing_profile_id,
            flagged.billing_account_id
        ) as billing_account_id,
        coalesce(
            flagged.billing_profile_name,
            flagged.billing_account_name
        ) as billing_account_name,
        coalesce(
            upper(coalesce(
                flagged.billing_currency_code,
                flagged.billing_currency
            )),
            '{{ var("cpc_default_currency", "USD") }}'
        ) as billing_currency,
        flagged.subscription_id as sub_account_id,
        flagged.subscription_name as sub_account_name,
        'Microsoft' as provider_name,
        flagged.publisher_name,
        'Microsoft' as host_provider_name,
        coalesce(flagged.partner_name, 'Microsoft') as invoice_issuer_name,
        flagged.invoice_id,
        case
            when flagged.charge_kind in ('usage', 'unusedreservation', 'unusedsavingsplan') then 'Usage'
            when flagged.charge_kind in ('purchase', 'refund') then 'Purchase'
            when flagged.charge_kind = 'tax' then 'Tax'
            when flagged.charge_kind = 'credit' then 'Credit'
            else 'Adjustment'
        end as charge_category,
        case when flagged.charge_kind = 'refund' then 'Correction' end as charge_class,
        case flagged.frequency_key
            when 'onetime' then 'One-Time'
            when 'recurring' then 'Recurring'
            when 'usagebased' then 'Usage-Based'
            else flagged.frequency
        end as charge_frequency,
        flagged.product_name as charge_description,
        case
            when flagged.pricing_model_key = 'ondemand' then 'Standard'
            when flagged.pricing_model_key = 'spot' then 'Dynamic'
            when flagged.pricing_model_key in ('reservation', 'savingsplan') then 'Committed'
        end as pricing_category,
        flagged.unit_of_measure as pricing_unit,
        case
            when flagged.charge_kind = 'usage' then flagged.unit_of_measure
        end as consumed_unit,
        {{ cost_per_customer.azure_service_category(
            'flagged.meter_listed_category', 'flagged.service_listed_category',
            'flagged.meter_category_key', 'flagged.consumed_service_key'
        ) }} as service_category,
        cast(null as {{ dbt.type_string() }}) as service_subcategory,
        coalesce(
            flagged.meter_category,
            flagged.consumed_service
        ) as service_name,
        {{ cost_per_customer.azure_region_id('flagged.resource_location') }} as region_id,
        flagged.resource_location as region_name,
        flagged.availability_zone,
        flagged.resource_id,
        coalesce(
            flagged.resource_name,
            flagged.resource_id_last_part
        ) as resource_name,
        flagged.resource_id_type_part as resource_type,
        flagged.product_id as sku_id,
        cast(null as {{ dbt.type_string() }}) as sku_price_id,
        flagged.commitment_id as commitment_discount_id,
        case flagged.commitment_discount_type
            when 'Reservation' then 'Usage'
            when 'Savings Plan' then 'Spend'
        end as commitment_discount_category,
        flagged.commitment_discount_type,
        case
            when flagged.charge_kind in {{ unused_kinds }} then 'Unused'
            when flagged.charge_kind = 'usage' and flagged.commitment_discount_type is not null then 'Used'
        end as commitment_discount_status,
        flagged.tags_json as tags,
        flagged.tags_map,
        {# Billed: what the invoice charges; a commitment's usage and unused rows were paid by its purchase. #}
        case
            when flagged.cost is null then null
            when flagged.charge_kind in {{ unused_kinds }} then cast(0 as {{ cost_per_customer.money_type() }})
            when flagged.charge_kind = 'usage' and flagged.commitment_discount_type is not null
                then cast(0 as {{ cost_per_customer.money_type() }})
            else flagged.cost
        end as billed_cost,
        {# Effective: a commitment's purchase (or refund) is 0; its cost arrives through the
            amortized dataset's usage and unused rows. #}
        case
            when flagged.cost is null then null
            when flagged.charge_kind in ('purchase', 'refund') and flagged.commitment_discount_type is not null
                then cast(0 as {{ cost_per_customer.money_type() }})
            else flagged.cost
        end as effective_cost,
        {{ cost_per_customer.scale_money(
            'flagged.payg_price_value',
            'cast(flagged.quantity_value as double) * cast(flagged.exchange_rate_value as double)'
        ) }} as list_cost,
        {{ cost_per_customer.scale_money(
            'flagged.unit_price_value',
            'cast(flagged.quantity_value as double) * cast(flagged.exchange_rate_value as double)'
        ) }} as contracted_cost,
        case when flagged.charge_kind = 'usage' then flagged.quantity_value end as consumed_quantity,
        flagged.quantity_value as pricing_quantity,
        (flagged.tags_json is null or flagged.tags_map is not null) as has_valid_tags,
        {{ cost_per_customer.day_start('charge_day') }} as charge_period_start_at,
        {{ cost_per_customer.day_start('charge_day', 1) }} as charge_period_end_at,
        {{ cost_per_customer.day_start('billing_period_first_day') }} as billing_period_start_at,
        {{ cost_per_customer.day_start('billing_period_last_day', 1) }} as billing_period_end_at,
        flagged.date_raw as charge_period_start_raw,
        flagged.date_raw as charge_period_end_raw,
        flagged.cost_raw as effective_cost_raw,
        flagged.cost_raw as billed_cost_raw,
        {# ListCost is PayGPrice x Quantity (x the MCA exchange rate): an unreadable PayGPrice is a
            defect only when the other factors are readable. #}
        case
            when flagged.quantity_value is not null and flagged.exchange_rate_value is not null
                then flagged.payg_price_raw
        end as list_cost_raw

    from flagged

),

{{ cost_per_customer.classify_billing_charges('typed', labels={
    'charge_period_start': 'Date',
    'charge_period_end': 'Date',
    'effective_cost': 'CostInBillingCurrency',
    'billed_cost': 'CostInBillingCurrency',
    'list_cost': 'PayGPrice',
    'tags': 'Tags',
}) }}

select * from classified
