{#- One row per landed AWS Cost and Usage Report row (legacy CSV or CUR 2.0), normalized to the
    billing charge contract (billing_charge_columns) with the reason it must be quarantined (NULL
    for a good row). Nothing is filtered here. BilledCost is the net unblended cost (falling back
    to the unblended cost); EffectiveCost is the amortized cost chosen by LineItemType, so that a
    commitment is counted once: through the usage it covers and through its unused part. The
    mapping per LineItemType is documented in _aws__models.yml. Every landed column is cleaned once
    (cleaned) and read once (amounts_read, and the timestamps in typed). -#}
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
{%- set date_columns = [
    'line_item_usage_start_date', 'line_item_usage_end_date', 'bill_billing_period_start_date', 'bill_billing_period_end_date',
] -%}
{#- What `cleaned` cleans: output name -> landed column. -#}
{%- set texts = {'delivered_at_text': '_delivered_at'} -%}
{%- for column in date_columns -%}
    {%- do texts.update({column ~ '_text': column}) -%}
{%- endfor -%}
{%- for column in text_columns -%}
    {%- do texts.update({column: column}) -%}
{%- endfor -%}
{%- for amount, columns in net_first_amounts.items() -%}
    {%- do texts.update({amount ~ '_net_text': columns[0], amount ~ '_gross_text': columns[1]}) -%}
{%- endfor -%}
{%- for amount, column in other_amounts.items() -%}
    {%- do texts.update({amount ~ '_text': column}) -%}
{%- endfor -%}
{%- set amounts = {} -%}
{%- for amount in net_first_amounts.keys() | list + other_amounts.keys() | list -%}
    {%- do amounts.update({amount: amount ~ '_text'}) -%}
{%- endfor -%}
{#- delivered_at is ISO 8601 text written by `cpc land`: no date order applies to it. -#}
{%- set timestamp_texts = ['delivered_at_text'] -%}
{%- for column in date_columns -%}
    {%- do timestamp_texts.append(column ~ '_text') -%}
{%- endfor -%}
{%- set usage_types = "'Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage', 'SavingsPlanNegation'" -%}
{%- set covered_usage_types = "'DiscountedUsage', 'SavingsPlanCoveredUsage', 'SavingsPlanNegation'" -%}
{%- set purchase_types = "'RIFee', 'SavingsPlanRecurringFee', 'SavingsPlanUpfrontFee', 'Fee'" -%}
{%- set money = cost_per_customer.money_type() -%}
{%- set zero = 'cast(0 as ' ~ money ~ ')' -%}
with

source_rows as (

    select * from {{ source('aws', 'billing_aws') }}

),

service_categories as (

    select * from {{ ref('provider_service_categories') }}

),

{# Text trimmed (blank and null tokens as NULL): each landed column once. -#}
{{ cost_per_customer.clean_columns('source_rows', texts, keep=[
    '_source_file', '_source_row', '_decimal_mark', '_date_order',
    'line_item_usage_start_date', 'line_item_usage_end_date', 'pricing_public_on_demand_cost',
]) }},

{# Amounts read "net first": the net column's text when it holds one, else the gross column's. -#}
amount_texts as (

    select
        *,
        {%- for amount in net_first_amounts %}
        coalesce({{ amount }}_net_text, {{ amount }}_gross_text) as {{ amount }}_text{{ "," if not loop.last }}
        {%- endfor %}

    from cleaned

),

{{ cost_per_customer.read_decimals('amount_texts', amounts, as_cte='amounts_read') }},

with_maps as (

    select
        *,
        {{ cost_per_customer.normalize_enum('line_item_line_item_type', line_item_types) }} as line_item_type,
        {{ cost_per_customer.parse_tags('resource_tags') }} as resource_tags_map,
        {{ cost_per_customer.parse_tags('product') }} as product_map,
        lower(line_item_line_item_type) like '%discount' as is_discount,
        {{ cost_per_customer.read_timestamp_list(timestamp_texts) }} as timestamps_read,
        cast(
            savings_plan_total_commitment
            - case
                when savings_plan_used_commitment_text is null then {{ zero }}
                else savings_plan_used_commitment
            end
            as {{ money }}
        ) as savings_plan_unused_commitment,
        {#- net / gross commitment of the plan for the period (recurring + amortized upfront), when the
            row has net values: scales the unused commitment to its net cost. -#}
        case
            when savings_plan_net_recurring_commitment_text is not null
                or savings_plan_net_upfront_commitment_text is not null
                then (
                    coalesce(cast(savings_plan_net_recurring_commitment as double), 0)
                    + coalesce(cast(savings_plan_net_upfront_commitment as double), 0)
                ) / nullif(
                    coalesce(cast(savings_plan_recurring_commitment as double), 0)
                    + coalesce(cast(savings_plan_upfront_commitment as double), 0),
                    0
                )
        end as savings_plan_net_ratio

    from amounts_read

),

{# CUR 2.0 tag keys `user_x` / `aws_x` read as `user:x` / `aws:x` (as legacy CUR writes them). -#}
with_tags as (

    select
        with_maps.*,
        {{ cost_per_customer.aws_cur_tags_map('with_maps.resource_tags_map') }} as tags_map,
        {{ cost_per_customer.map_tag_value('with_maps.product_map', 'product_name') }} as product_map_name,
        {{ cost_per_customer.map_tag_value('with_maps.product_map', 'region') }} as product_map_region

    from with_maps

),

{# The FOCUS ServiceCategory the seed lists for the product code. -#}
categorized as (

    select
        with_tags.*,
        service_categories.service_category as listed_service_category

    from with_tags
    left join service_categories
        on service_categories.provider = 'aws'
        and service_categories.source_column = 'product_code'
        and with_tags.line_item_product_code = service_categories.service_key

),

{# BilledCost and EffectiveCost by LineItemType (see the model's yml for each rule). A blank
    amortization term counts 0; a written but unreadable one makes the cost NULL (quarantined). -#}
costed as (

    select
        *,
        case
            when is_discount and line_item_cost_net_text is not null then {{ zero }}
            else line_item_cost
        end as billed_cost,
        case
            when line_item_type = 'SavingsPlanCoveredUsage' then savings_plan_cost
            when line_item_type = 'DiscountedUsage' then reservation_cost
            when line_item_type = 'SavingsPlanRecurringFee' and savings_plan_net_ratio is null
                then savings_plan_unused_commitment
            when line_item_type = 'SavingsPlanRecurringFee'
                then {{ cost_per_customer.scale_money('savings_plan_unused_commitment', 'savings_plan_net_ratio') }}
            when line_item_type = 'RIFee' then cast(
                case
                    when reservation_unused_upfront_text is null then {{ zero }}
                    else reservation_unused_upfront
                end
                + case
                    when reservation_unused_recurring_text is null then {{ zero }}
                    else reservation_unused_recurring
                end
                as {{ money }}
            )
            when line_item_type in ('SavingsPlanNegation', 'SavingsPlanUpfrontFee') then {{ zero }}
            when line_item_type = 'Fee' and reservation_reservation_a_r_n is not null then {{ zero }}
            when is_discount and line_item_cost_net_text is not null then {{ zero }}
            else line_item_cost
        end as effective_cost,
        case
            when line_item_type = 'SavingsPlanCoveredUsage' then savings_plan_cost_text
            when line_item_type = 'DiscountedUsage' then reservation_cost_text
            when line_item_type = 'SavingsPlanRecurringFee' then savings_plan_total_commitment_text
            when line_item_type = 'RIFee'
                then coalesce(reservation_unused_upfront_text, reservation_unused_recurring_text)
            else line_item_cost_text
        end as effective_cost_raw

    from categorized

),

typed as (

    select
        _decimal_mark,
        concat(_source_file, ':', cast(_source_row as {{ dbt.type_string() }})) as charge_id,
        _source_file as source_file,
        _source_row as source_row,
        'aws_cur' as billing_format,
        _source_variant as source_variant,
        {{ cost_per_customer.list_element('timestamps_read', 1) }} as delivered_at,
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
        cast(null as {{ money }}) as contracted_cost,
        case when line_item_type in ({{ usage_types }}) then usage_amount end as consumed_quantity,
        usage_amount as pricing_quantity,
        (resource_tags is null or tags_map is not null) as has_valid_tags,
        {{ cost_per_customer.list_element('timestamps_read', 2) }} as charge_period_start_at,
        {{ cost_per_customer.list_element('timestamps_read', 3) }} as charge_period_end_at,
        {{ cost_per_customer.list_element('timestamps_read', 4) }} as billing_period_start_at,
        {{ cost_per_customer.list_element('timestamps_read', 5) }} as billing_period_end_at,
        line_item_usage_start_date as charge_period_start_raw,
        line_item_usage_end_date as charge_period_end_raw,
        effective_cost_raw,
        line_item_cost_text as billed_cost_raw,
        pricing_public_on_demand_cost as list_cost_raw

    from costed

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
