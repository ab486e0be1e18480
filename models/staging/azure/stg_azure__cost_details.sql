{#- One row per landed Azure cost details row (EA or MCA, actual or amortized dataset): typed and
    mapped to the billing charge contract (billing_charge_columns), with the reason it must be
    quarantined (NULL for a good row). Nothing is filtered here. The mapping is per row, so one
    mapping serves both datasets: a commitment's cost reaches EffectiveCost only through the
    amortized dataset's usage and unused rows, never through its purchase. Every landed column is
    cleaned once (cleaned) and read once (amounts_read, keyed). -#}
{%- set unused_kinds = "('unusedreservation', 'unusedsavingsplan')" -%}
{%- set text_columns = [
    'charge_type', 'pricing_model', 'benefit_id', 'reservation_id', 'tags', 'meter_category', 'consumed_service',
    'billing_profile_id', 'billing_account_id', 'billing_profile_name', 'billing_account_name',
    'billing_currency_code', 'billing_currency', 'subscription_id', 'subscription_name', 'publisher_name',
    'partner_name', 'invoice_id', 'frequency', 'product_name', 'unit_of_measure', 'resource_location',
    'availability_zone', 'resource_id', 'resource_name', 'product_id',
] -%}
{%- set amount_columns = ['cost_in_billing_currency', 'quantity', 'exchange_rate_pricing_to_billing', 'payg_price', 'unit_price'] -%}
{%- set texts = {'source_variant': '_source_variant', 'delivered_at_text': '_delivered_at', 'date_text': 'date'} -%}
{%- do texts.update({'billing_period_start_text': 'billing_period_start_date', 'billing_period_end_text': 'billing_period_end_date'}) -%}
{%- for column in text_columns -%}
    {%- do texts.update({column: column}) -%}
{%- endfor -%}
{%- set amounts = {} -%}
{%- for column in amount_columns -%}
    {%- do texts.update({column ~ '_text': column}) -%}
    {%- do amounts.update({column ~ '_value': column ~ '_text'}) -%}
{%- endfor -%}
{%- do amounts.update({'cost': amounts.pop('cost_in_billing_currency_value')}) -%}
with

source_rows as (

    select * from {{ source('azure', 'billing_azure') }}

),

service_categories as (

    select * from {{ ref('provider_service_categories') }}

),

{# Landed text as it is, for the *_raw columns. -#}
landed as (

    select
        source_rows.*,
        source_rows.date as date_raw,
        source_rows.cost_in_billing_currency as cost_raw,
        source_rows.payg_price as payg_price_raw

    from source_rows

),

{{ cost_per_customer.clean_columns('landed', texts, keep=[
    '_source_file', '_source_row', '_decimal_mark', '_date_order', 'date_raw', 'cost_raw', 'payg_price_raw',
]) }},

{{ cost_per_customer.read_decimals('cleaned', amounts, as_cte='amounts_read') }},

{# Keys the mapping is decided on (a row without ChargeType is usage) and the timestamps. -#}
keyed as (

    select
        *,
        coalesce({{ cost_per_customer.azure_enum_key('charge_type') }}, 'usage') as charge_kind,
        {{ cost_per_customer.azure_enum_key('pricing_model') }} as pricing_model_key,
        {{ cost_per_customer.azure_enum_key('frequency') }} as frequency_key,
        coalesce(benefit_id, reservation_id) as commitment_id,
        {# MCA's rate converts PayGPrice and UnitPrice to the billing currency; EA has none (1). #}
        case
            when exchange_rate_pricing_to_billing_text is null then cast(1 as {{ cost_per_customer.money_type() }})
            else exchange_rate_pricing_to_billing_value
        end as exchange_rate_value,
        {{ cost_per_customer.azure_tags_json('tags') }} as tags_json,
        lower(meter_category) as meter_category_key,
        lower(consumed_service) as consumed_service_key,
        regexp_extract(resource_id, '([^/]+)$', 1) as resource_id_last_part,
        regexp_extract(resource_id, '(?i)/providers/([^/]+/[^/]+)', 1) as resource_id_type_part,
        {#- delivered_at is ISO 8601 text written by `cpc land`: no date order applies to it. #}
        {{ cost_per_customer.read_timestamp_list([
            'delivered_at_text', 'date_text', 'billing_period_start_text', 'billing_period_end_text',
        ]) }} as timestamps_read

    from amounts_read

),

{# A commitment row (its purchase, refund, usage or unused part): a savings plan when its
    benefitId is under /microsoft.billingbenefits/ or the row says SavingsPlan, else a reservation
    when it names a commitment or says Reservation. The FOCUS ServiceCategory the seed lists for
    its MeterCategory and for its ConsumedService. -#}
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
        {{ cost_per_customer.parse_tags('keyed.tags_json') }} as tags_map,
        {{ cost_per_customer.list_element('keyed.timestamps_read', 1) }} as delivered_at,
        cast({{ cost_per_customer.list_element('keyed.timestamps_read', 2) }} as date) as charge_day,
        cast({{ cost_per_customer.list_element('keyed.timestamps_read', 3) }} as date) as billing_period_first_day,
        cast({{ cost_per_customer.list_element('keyed.timestamps_read', 4) }} as date) as billing_period_last_day,
        meter_categories.service_category as meter_listed_category,
        consumed_services.service_category as service_listed_category

    from keyed
    left join service_categories as meter_categories
        on meter_categories.provider = 'azure'
        and meter_categories.source_column = 'meter_category'
        and keyed.meter_category_key = meter_categories.service_key
    left join service_categories as consumed_services
        on consumed_services.provider = 'azure'
        and consumed_services.source_column = 'consumed_service'
        and keyed.consumed_service_key = consumed_services.service_key

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
