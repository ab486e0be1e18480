{#- One row per landed AWS Cost and Usage Report row (legacy CSV or CUR 2.0), normalized to the
    billing charge contract (billing_charge_columns) with the reason it must be quarantined (NULL
    for a good row). Nothing is filtered here. BilledCost is the net unblended cost (falling back
    to the unblended cost); EffectiveCost is the amortized cost chosen by LineItemType, so that a
    commitment is counted once: through the usage it covers and through its unused part. The
    mapping per LineItemType is documented in _aws__models.yml. Every landed column is cleaned or
    parsed once, in `cleaned`. On Spark this model is a table: its compiled SQL is longer than the
    32,700 characters the embedded (Derby) Hive metastore can keep as a view's text. -#}
{{ config(materialized=('table' if target.type == 'spark' else 'view')) }}
{%- set line_item_types = [
    'Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage', 'SavingsPlanNegation', 'SavingsPlanRecurringFee',
    'SavingsPlanUpfrontFee', 'RIFee', 'Fee', 'Tax', 'Credit', 'Refund', 'BundledDiscount', 'EdpDiscount',
    'PrivateRateDiscount', 'DistributorDiscount', 'SppDiscount', 'RiVolumeDiscount', 'Discount',
] -%}
{%- set text_columns = [
    'identity_line_item_id', 'identity_time_interval', 'bill_invoice_id', 'bill_invoicing_entity',
    'bill_payer_account_id', 'bill_payer_account_name', 'line_item_usage_account_id', 'line_item_usage_account_name',
    'line_item_line_item_type', 'line_item_product_code', 'line_item_usage_type', 'line_item_availability_zone',
    'line_item_resource_id', 'line_item_currency_code', 'line_item_line_item_description', 'line_item_legal_entity',
    'product_product_name', 'product_region', 'product_region_code', 'product_product_family', 'product_sku',
    'pricing_term', 'pricing_unit', 'savings_plan_savings_plan_a_r_n', 'reservation_reservation_a_r_n',
    'resource_tags', 'product', '_source_variant',
] -%}
{#- Amounts read "net first": the net column when it holds a value, else the gross column. -#}
{%- set net_first_amounts = {
    'line_item_cost': ['line_item_net_unblended_cost', 'line_item_unblended_cost'],
    'savings_plan_cost': ['savings_plan_net_savings_plan_effective_cost', 'savings_plan_savings_plan_effective_cost'],
    'reservation_cost': ['reservation_net_effective_cost', 'reservation_effective_cost'],
    'reservation_unused_upfront': [
        'reservation_net_unused_amortized_upfront_fee_for_billing_period',
        'reservation_unused_amortized_upfront_fee_for_billing_period',
    ],
    'reservation_unused_recurring': ['reservation_net_unused_recurring_fee', 'reservation_unused_recurring_fee'],
} -%}
{%- set other_amounts = {
    'savings_plan_total_commitment': 'savings_plan_total_commitment_to_date',
    'savings_plan_used_commitment': 'savings_plan_used_commitment',
    'savings_plan_recurring_commitment': 'savings_plan_recurring_commitment_for_billing_period',
    'savings_plan_net_recurring_commitment': 'savings_plan_net_recurring_commitment_for_billing_period',
    'savings_plan_upfront_commitment': 'savings_plan_amortized_upfront_commitment_for_billing_period',
    'savings_plan_net_upfront_commitment': 'savings_plan_net_amortized_upfront_commitment_for_billing_period',
    'list_cost': 'pricing_public_on_demand_cost',
    'usage_amount': 'line_item_usage_amount',
} -%}
{%- set usage_types = "'Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage', 'SavingsPlanNegation'" -%}
{%- set covered_usage_types = "'DiscountedUsage', 'SavingsPlanCoveredUsage', 'SavingsPlanNegation'" -%}
{%- set purchase_types = "'RIFee', 'SavingsPlanRecurringFee', 'SavingsPlanUpfrontFee', 'Fee'" -%}
{%- set money = cost_per_customer.money_type() -%}
{%- set zero = 'cast(0 as ' ~ money ~ ')' -%}
with

source_rows as (

    select * from {{ source('aws', 'billing_aws') }}

),

{# Text trimmed (blank and null tokens as NULL), money parsed: each landed column once. -#}
cleaned as (

    select
        _source_file,
        _source_row,
        _delivered_at,
        _decimal_mark,
        _date_order,
        line_item_usage_start_date,
        line_item_usage_end_date,
        bill_billing_period_start_date,
        bill_billing_period_end_date,
        pricing_public_on_demand_cost,
        {%- for column in text_columns %}
        {{ cost_per_customer.clean_text(column) }} as {{ column }},
        {%- endfor %}
        {%- for amount, columns in net_first_amounts.items() %}
        {{ cost_per_customer.clean_text(columns[0]) }} as {{ amount }}_net_text,
        {{ cost_per_customer.clean_text(columns[1]) }} as {{ amount }}_gross_text,
        {{ cost_per_customer.parse_decimal(columns[0]) }} as {{ amount }}_net,
        {{ cost_per_customer.parse_decimal(columns[1]) }} as {{ amount }}_gross,
        {%- endfor %}
        {%- for amount, column in other_amounts.items() %}
        {{ cost_per_customer.clean_text(column) }} as {{ amount }}_text,
        {{ cost_per_customer.parse_decimal(column) }} as {{ amount }}{{ "," if not loop.last }}
        {%- endfor %}

    from source_rows

),

with_maps as (

    select
        cleaned.*,
        {{ cost_per_customer.normalize_enum('cleaned.line_item_line_item_type', line_item_types) }} as line_item_type,
        {{ cost_per_customer.parse_tags('cleaned.resource_tags') }} as resource_tags_map,
        {{ cost_per_customer.parse_tags('cleaned.product') }} as product_map,
        {%- for amount in net_first_amounts %}
        case
            when cleaned.{{ amount }}_net_text is not null then cleaned.{{ amount }}_net
            else cleaned.{{ amount }}_gross
        end as {{ amount }},
        coalesce(cleaned.{{ amount }}_net_text, cleaned.{{ amount }}_gross_text) as {{ amount }}_text,
        {%- endfor %}
        lower(cleaned.line_item_line_item_type) like '%discount' as is_discount,
        cast(
            cleaned.savings_plan_total_commitment
            - case when cleaned.savings_plan_used_commitment_text is null then {{ zero }} else cleaned.savings_plan_used_commitment end
            as {{ money }}
        ) as savings_plan_unused_commitment,
        {#- net / gross commitment of the plan for the period (recurring + amortized upfront), when the
            row has net values: scales the unused commitment to its net cost. -#}
        case
            when cleaned.savings_plan_net_recurring_commitment_text is not null
                or cleaned.savings_plan_net_upfront_commitment_text is not null
                then (
                    coalesce(cast(cleaned.savings_plan_net_recurring_commitment as double), 0)
                    + coalesce(cast(cleaned.savings_plan_net_upfront_commitment as double), 0)
                ) / nullif(
                    coalesce(cast(cleaned.savings_plan_recurring_commitment as double), 0)
                    + coalesce(cast(cleaned.savings_plan_upfront_commitment as double), 0),
                    0
                )
        end as savings_plan_net_ratio

    from cleaned

),

{# CUR 2.0 tag keys `user_x` / `aws_x` read as `user:x` / `aws:x` (as legacy CUR writes them). -#}
with_tags as (

    select
        with_maps.*,
        {{ cost_per_customer.aws_cur_tags_map('with_maps.resource_tags_map') }} as tags_map

    from with_maps

),

{# BilledCost and EffectiveCost by LineItemType (see the model's yml for each rule). A blank
    amortization term counts 0; a written but unreadable one makes the cost NULL (quarantined). -#}
costed as (

    select
        with_tags.*,
        case
            when with_tags.is_discount and with_tags.line_item_cost_net_text is not null then {{ zero }}
            else with_tags.line_item_cost
        end as billed_cost,
        case
            when with_tags.line_item_type = 'SavingsPlanCoveredUsage' then with_tags.savings_plan_cost
            when with_tags.line_item_type = 'DiscountedUsage' then with_tags.reservation_cost
            when with_tags.line_item_type = 'SavingsPlanRecurringFee' and with_tags.savings_plan_net_ratio is null
                then with_tags.savings_plan_unused_commitment
            when with_tags.line_item_type = 'SavingsPlanRecurringFee'
                then {{ cost_per_customer.scale_money('with_tags.savings_plan_unused_commitment', 'with_tags.savings_plan_net_ratio') }}
            when with_tags.line_item_type = 'RIFee' then cast(
                case
                    when with_tags.reservation_unused_upfront_text is null then {{ zero }}
                    else with_tags.reservation_unused_upfront
                end
                + case
                    when with_tags.reservation_unused_recurring_text is null then {{ zero }}
                    else with_tags.reservation_unused_recurring
                end
                as {{ money }}
            )
            when with_tags.line_item_type in ('SavingsPlanNegation', 'SavingsPlanUpfrontFee') then {{ zero }}
            when with_tags.line_item_type = 'Fee' and with_tags.reservation_reservation_a_r_n is not null then {{ zero }}
            when with_tags.is_discount and with_tags.line_item_cost_net_text is not null then {{ zero }}
            else with_tags.line_item_cost
        end as effective_cost,
        case
            when with_tags.line_item_type = 'SavingsPlanCoveredUsage' then with_tags.savings_plan_cost_text
            when with_tags.line_item_type = 'DiscountedUsage' then with_tags.reservation_cost_text
            when with_tags.line_item_type = 'SavingsPlanRecurringFee' then with_tags.savings_plan_total_commitment_text
            when with_tags.line_item_type = 'RIFee'
                then coalesce(with_tags.reservation_unused_upfront_text, with_tags.reservation_unused_recurring_text)
            else with_tags.line_item_cost_text
        end as effective_cost_raw

    from with_tags

),

typed as (

    select
        costed._decimal_mark,
        concat(costed._source_file, ':', cast(costed._source_row as {{ dbt.type_string() }})) as charge_id,
        costed._source_file as source_file,
        costed._source_row as source_row,
        'aws_cur' as billing_format,
        costed._source_variant as source_variant,
        {{ cost_per_customer.parse_timestamp('costed._delivered_at', none) }} as delivered_at,
        case
            when costed.identity_line_item_id is not null
                then concat(costed.identity_line_item_id, '|', coalesce(costed.identity_time_interval, ''))
        end as line_item_id,
        costed.bill_payer_account_id as billing_account_id,
        costed.bill_payer_account_name as billing_account_name,
        coalesce(upper(costed.line_item_currency_code), '{{ var("cpc_default_currency", "USD") }}') as billing_currency,
        costed.line_item_usage_account_id as sub_account_id,
        costed.line_item_usage_account_name as sub_account_name,
        'AWS' as provider_name,
        costed.line_item_legal_entity as publisher_name,
        'AWS' as host_provider_name,
        costed.bill_invoicing_entity as invoice_issuer_name,
        costed.bill_invoice_id as invoice_id,
        case
            when costed.line_item_type in ({{ usage_types }}) then 'Usage'
            when costed.line_item_type in ({{ purchase_types }}) then 'Purchase'
            when costed.line_item_type = 'Tax' then 'Tax'
            when costed.line_item_type in ('Credit', 'Refund') or costed.is_discount then 'Credit'
            when costed.line_item_type is not null then 'Adjustment'
        end as charge_category,
        case when costed.line_item_type = 'Refund' then 'Correction' end as charge_class,
        case
            when costed.line_item_type in ({{ usage_types }}, 'Tax') or costed.is_discount then 'Usage-Based'
            when costed.line_item_type in ('RIFee', 'SavingsPlanRecurringFee') then 'Recurring'
            when costed.line_item_type is not null then 'One-Time'
        end as charge_frequency,
        costed.line_item_line_item_description as charge_description,
        case
            when costed.line_item_type in ({{ covered_usage_types }}) then 'Committed'
            when costed.line_item_type = 'Usage'
                and (lower(costed.pricing_term) = 'spot' or costed.line_item_usage_type like '%SpotUsage%')
                then 'Dynamic'
            when costed.line_item_type = 'Usage' then 'Standard'
        end as pricing_category,
        costed.pricing_unit,
        case when costed.line_item_type in ({{ usage_types }}) then costed.pricing_unit end as consumed_unit,
        case
            when costed.line_item_type <> 'Tax' or costed.line_item_type is null
                then {{ cost_per_customer.aws_cur_service_category('costed.line_item_product_code', 'costed.product_product_family') }}
        end as service_category,
        cast(null as {{ dbt.type_string() }}) as service_subcategory,
        coalesce(
            costed.product_product_name,
            {{ cost_per_customer.map_tag_value('costed.product_map', 'product_name') }},
            costed.line_item_product_code
        ) as service_name,
        coalesce(
            costed.product_region_code,
            costed.product_region,
            {{ cost_per_customer.map_tag_value('costed.product_map', 'region') }}
        ) as region_id,
        cast(null as {{ dbt.type_string() }}) as region_name,
        costed.line_item_availability_zone as availability_zone,
        costed.line_item_resource_id as resource_id,
        cast(null as {{ dbt.type_string() }}) as resource_name,
        cast(null as {{ dbt.type_string() }}) as resource_type,
        costed.product_sku as sku_id,
        cast(null as {{ dbt.type_string() }}) as sku_price_id,
        coalesce(costed.savings_plan_savings_plan_a_r_n, costed.reservation_reservation_a_r_n) as commitment_discount_id,
        case
            when costed.savings_plan_savings_plan_a_r_n is not null then 'Spend'
            when costed.reservation_reservation_a_r_n is not null then 'Usage'
        end as commitment_discount_category,
        case
            when costed.savings_plan_savings_plan_a_r_n is not null then 'Savings Plan'
            when costed.reservation_reservation_a_r_n is not null then 'Reserved Instance'
        end as commitment_discount_type,
        case
            when costed.line_item_type in ({{ covered_usage_types }}) then 'Used'
            when costed.line_item_type in ('RIFee', 'SavingsPlanRecurringFee') then 'Unused'
        end as commitment_discount_status,
        costed.resource_tags as tags,
        costed.tags_map,
        costed.billed_cost,
        costed.effective_cost,
        costed.list_cost,
        cast(null as {{ money }}) as contracted_cost,
        case when costed.line_item_type in ({{ usage_types }}) then costed.usage_amount end as consumed_quantity,
        costed.usage_amount as pricing_quantity,
        (costed.resource_tags is null or costed.tags_map is not null) as has_valid_tags,
        {{ cost_per_customer.parse_timestamp('costed.line_item_usage_start_date') }} as charge_period_start_at,
        {{ cost_per_customer.parse_timestamp('costed.line_item_usage_end_date') }} as charge_period_end_at,
        {{ cost_per_customer.parse_timestamp('costed.bill_billing_period_start_date') }} as billing_period_start_at,
        {{ cost_per_customer.parse_timestamp('costed.bill_billing_period_end_date') }} as billing_period_end_at,
        costed.line_item_usage_start_date as charge_period_start_raw,
        costed.line_item_usage_end_date as charge_period_end_raw,
        costed.effective_cost_raw,
        costed.line_item_cost_text as billed_cost_raw,
        costed.pricing_public_on_demand_cost as list_cost_raw

    from costed

),

classified as (

    {{ cost_per_customer.classify_billing_charges('typed', labels={
        'charge_period_start': 'lineItem/UsageStartDate',
        'charge_period_end': 'lineItem/UsageEndDate',
        'effective_cost': 'lineItem/UnblendedCost (or the reservation/savingsPlan cost its LineItemType uses)',
        'billed_cost': 'lineItem/NetUnblendedCost or lineItem/UnblendedCost',
        'list_cost': 'pricing/publicOnDemandCost',
        'tags': 'resourceTags',
    }) }}

)

select * from classified
