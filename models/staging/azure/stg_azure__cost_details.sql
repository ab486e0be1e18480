{#- One row per landed Azure cost details row (EA or MCA, actual or amortized dataset): typed and
    mapped to the billing charge contract (billing_charge_columns), with the reason it must be
    quarantined (NULL for a good row). Nothing is filtered here. The mapping is per row, so one
    mapping serves both datasets: a commitment's cost reaches EffectiveCost only through the
    amortized dataset's usage and unused rows, never through its purchase. -#}
{#- A table on Spark: Spark keeps a view's SQL in its Hive metastore, whose text columns hold
    32,700 characters, and this model's compiled SQL is about that long (Spark's parse_timestamp
    repeats its argument once per accepted pattern). -#}
{{ config(materialized=('table' if target.type == 'spark' else 'view')) }}
{%- set unused_kinds = "('unusedreservation', 'unusedsavingsplan')" -%}
with

source_rows as (

    select * from {{ source('azure', 'billing_azure') }}

),

{# Keys the mapping is decided on; a row without ChargeType is usage. -#}
keyed as (

    select
        source_rows.*,
        coalesce({{ cost_per_customer.azure_enum_key('charge_type') }}, 'usage') as charge_kind,
        {{ cost_per_customer.azure_enum_key('pricing_model') }} as pricing_model_key,
        coalesce({{ cost_per_customer.clean_text('benefit_id') }}, {{ cost_per_customer.clean_text('reservation_id') }}) as commitment_id,
        {{ cost_per_customer.parse_decimal('cost_in_billing_currency') }} as cost,
        {{ cost_per_customer.parse_decimal('quantity') }} as quantity_value,
        {# MCA's rate converts PayGPrice and UnitPrice to the billing currency; EA has none (1). #}
        case
            when {{ cost_per_customer.clean_text('exchange_rate_pricing_to_billing') }} is null
                then cast(1 as {{ cost_per_customer.money_type() }})
            else {{ cost_per_customer.parse_decimal('exchange_rate_pricing_to_billing') }}
        end as exchange_rate_value,
        {{ cost_per_customer.azure_tags_json('tags') }} as tags_json,
        lower({{ cost_per_customer.clean_text('meter_category') }}) as meter_category_key,
        lower({{ cost_per_customer.clean_text('consumed_service') }}) as consumed_service_key,
        {{ cost_per_customer.parse_date('source_rows.date') }} as charge_day,
        {{ cost_per_customer.parse_date('billing_period_start_date') }} as billing_period_first_day,
        {{ cost_per_customer.parse_date('billing_period_end_date') }} as billing_period_last_day

    from source_rows

),

{# A commitment row (its purchase, refund, usage or unused part): a savings plan when its
    benefitId is under /microsoft.billingbenefits/ or the row says SavingsPlan, else a reservation
    when it names a commitment or says Reservation. -#}
flagged as (

    select
        keyed.*,
        case
            when lower(keyed.commitment_id) like '%/microsoft.billingbenefits/%'
                or keyed.charge_kind = 'unusedsavingsplan'
                or keyed.pricing_model_key = 'savingsplan'
                then 'Savings Plan'
            when keyed.commitment_id is not null
                or keyed.charge_kind = 'unusedreservation'
                or keyed.pricing_model_key = 'reservation'
                then 'Reservation'
        end as commitment_discount_type,
        {{ cost_per_customer.parse_tags('keyed.tags_json') }} as tags_map

    from keyed

),

typed as (

    select
        flagged._decimal_mark,
        concat(flagged._source_file, ':', cast(flagged._source_row as {{ dbt.type_string() }})) as charge_id,
        flagged._source_file as source_file,
        flagged._source_row as source_row,
        'azure' as billing_format,
        {{ cost_per_customer.clean_text('_source_variant') }} as source_variant,
        {{ cost_per_customer.parse_timestamp('_delivered_at', none) }} as delivered_at,
        cast(null as {{ dbt.type_string() }}) as line_item_id,
        {# FOCUS BillingAccountId is the invoiced scope: the MCA billing profile; on EA the
            profile is the enrollment, the same as BillingAccountId. #}
        coalesce(
            {{ cost_per_customer.clean_text('billing_profile_id') }},
            {{ cost_per_customer.clean_text('billing_account_id') }}
        ) as billing_account_id,
        coalesce(
            {{ cost_per_customer.clean_text('billing_profile_name') }},
            {{ cost_per_customer.clean_text('billing_account_name') }}
        ) as billing_account_name,
        coalesce(
            upper(coalesce(
                {{ cost_per_customer.clean_text('billing_currency_code') }},
                {{ cost_per_customer.clean_text('billing_currency') }}
            )),
            '{{ var("cpc_default_currency", "USD") }}'
        ) as billing_currency,
        {{ cost_per_customer.clean_text('subscription_id') }} as sub_account_id,
        {{ cost_per_customer.clean_text('subscription_name') }} as sub_account_name,
        'Microsoft' as provider_name,
        {{ cost_per_customer.clean_text('publisher_name') }} as publisher_name,
        'Microsoft' as host_provider_name,
        coalesce({{ cost_per_customer.clean_text('partner_name') }}, 'Microsoft') as invoice_issuer_name,
        {{ cost_per_customer.clean_text('invoice_id') }} as invoice_id,
        case
            when flagged.charge_kind in ('usage', 'unusedreservation', 'unusedsavingsplan') then 'Usage'
            when flagged.charge_kind in ('purchase', 'refund') then 'Purchase'
            when flagged.charge_kind = 'tax' then 'Tax'
            when flagged.charge_kind = 'credit' then 'Credit'
            else 'Adjustment'
        end as charge_category,
        case when flagged.charge_kind = 'refund' then 'Correction' end as charge_class,
        case {{ cost_per_customer.azure_enum_key('frequency') }}
            when 'onetime' then 'One-Time'
            when 'recurring' then 'Recurring'
            when 'usagebased' then 'Usage-Based'
            else {{ cost_per_customer.clean_text('frequency') }}
        end as charge_frequency,
        {{ cost_per_customer.clean_text('product_name') }} as charge_description,
        case
            when flagged.pricing_model_key = 'ondemand' then 'Standard'
            when flagged.pricing_model_key = 'spot' then 'Dynamic'
            when flagged.pricing_model_key in ('reservation', 'savingsplan') then 'Committed'
        end as pricing_category,
        {{ cost_per_customer.clean_text('unit_of_measure') }} as pricing_unit,
        case
            when flagged.charge_kind = 'usage' then {{ cost_per_customer.clean_text('unit_of_measure') }}
        end as consumed_unit,
        {{ cost_per_customer.azure_service_category('meter_category_key', 'consumed_service_key') }} as service_category,
        cast(null as {{ dbt.type_string() }}) as service_subcategory,
        coalesce(
            {{ cost_per_customer.clean_text('meter_category') }},
            {{ cost_per_customer.clean_text('consumed_service') }}
        ) as service_name,
        {{ cost_per_customer.azure_region_id('resource_location') }} as region_id,
        {{ cost_per_customer.clean_text('resource_location') }} as region_name,
        {{ cost_per_customer.clean_text('availability_zone') }} as availability_zone,
        {{ cost_per_customer.clean_text('resource_id') }} as resource_id,
        coalesce(
            {{ cost_per_customer.clean_text('resource_name') }},
            {{ cost_per_customer.clean_text("regexp_extract(resource_id, '([^/]+)$', 1)") }}
        ) as resource_name,
        {{ cost_per_customer.clean_text("regexp_extract(resource_id, '(?i)/providers/([^/]+/[^/]+)', 1)") }} as resource_type,
        {{ cost_per_customer.clean_text('product_id') }} as sku_id,
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
            cost_per_customer.parse_decimal('payg_price'),
            'cast(quantity_value as double) * cast(exchange_rate_value as double)'
        ) }} as list_cost,
        {{ cost_per_customer.scale_money(
            cost_per_customer.parse_decimal('unit_price'),
            'cast(quantity_value as double) * cast(exchange_rate_value as double)'
        ) }} as contracted_cost,
        case when flagged.charge_kind = 'usage' then flagged.quantity_value end as consumed_quantity,
        flagged.quantity_value as pricing_quantity,
        (flagged.tags_json is null or flagged.tags_map is not null) as has_valid_tags,
        {{ cost_per_customer.day_start('charge_day') }} as charge_period_start_at,
        {{ cost_per_customer.day_start('charge_day', 1) }} as charge_period_end_at,
        {{ cost_per_customer.day_start('billing_period_first_day') }} as billing_period_start_at,
        {{ cost_per_customer.day_start('billing_period_last_day', 1) }} as billing_period_end_at,
        flagged.date as charge_period_start_raw,
        flagged.date as charge_period_end_raw,
        flagged.cost_in_billing_currency as effective_cost_raw,
        flagged.cost_in_billing_currency as billed_cost_raw,
        {# ListCost is PayGPrice x Quantity (x the MCA exchange rate): an unreadable PayGPrice is a
            defect only when the other factors are readable. #}
        case
            when flagged.quantity_value is not null and flagged.exchange_rate_value is not null
                then flagged.payg_price
        end as list_cost_raw

    from flagged

),

classified as (

    {{ cost_per_customer.classify_billing_charges('typed', labels={
        'charge_period_start': 'Date',
        'charge_period_end': 'Date',
        'effective_cost': 'CostInBillingCurrency',
        'billed_cost': 'CostInBillingCurrency',
        'list_cost': 'PayGPrice',
        'tags': 'Tags',
    }) }}

)

select * from classified
