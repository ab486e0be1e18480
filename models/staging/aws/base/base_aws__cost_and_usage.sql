{#- One row per landed AWS CUR row, each landed column cleaned and read once (see _aws__base_models.yml). -#}
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
{%- set date_columns = {
    'usage_start_at': 'line_item_usage_start_date', 'usage_end_at': 'line_item_usage_end_date',
    'billing_period_start_at': 'bill_billing_period_start_date', 'billing_period_end_at': 'bill_billing_period_end_date',
} -%}
{#- What `cleaned` cleans (output name -> landed column); delivered_at is ISO 8601 text from `cpc land` (no date order). -#}
{%- set texts = {'delivered_at_text': '_delivered_at'} -%}
{%- set amounts = {} -%}
{%- set timestamps = {'delivered_at': 'delivered_at_text'} -%}
{%- for name, column in date_columns.items() -%}
    {%- do texts.update({column ~ '_text': column}) -%}
    {%- do timestamps.update({name: column ~ '_text'}) -%}
{%- endfor -%}
{%- for column in text_columns -%}
    {%- do texts.update({column: column}) -%}
{%- endfor -%}
{%- for amount, columns in net_first_amounts.items() -%}
    {%- do texts.update({amount ~ '_net_text': columns[0], amount ~ '_gross_text': columns[1]}) -%}
    {%- do amounts.update({amount: amount ~ '_text'}) -%}
{%- endfor -%}
{%- for amount, column in other_amounts.items() -%}
    {%- do texts.update({amount ~ '_text': column}) -%}
    {%- do amounts.update({amount: amount ~ '_text'}) -%}
{%- endfor -%}
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

{{ cost_per_customer.read_timestamps('amounts_read', timestamps, as_cte='timestamps_read') }},

with_maps as (

    select
        *,
        {{ cost_per_customer.normalize_enum('line_item_line_item_type', line_item_types) }} as line_item_type,
        {{ cost_per_customer.parse_tags('resource_tags') }} as resource_tags_map,
        {{ cost_per_customer.parse_tags('product') }} as product_map,
        lower(line_item_line_item_type) like '%discount' as is_discount,
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

    from timestamps_read

),

{# CUR 2.0 tag keys `user_x` / `aws_x` read as `user:x` / `aws:x` (as legacy CUR writes them); the
    FOCUS ServiceCategory the seed lists for the product code. -#}
categorized as (

    select
        with_maps.*,
        {{ cost_per_customer.aws_cur_tags_map('with_maps.resource_tags_map') }} as tags_map,
        {{ cost_per_customer.map_tag_value('with_maps.product_map', 'product_name') }} as product_map_name,
        {{ cost_per_customer.map_tag_value('with_maps.product_map', 'region') }} as product_map_region,
        service_categories.service_category as listed_service_category

    from with_maps
    left join service_categories
        on service_categories.provider = 'aws'
        and service_categories.source_column = 'product_code'
        and with_maps.line_item_product_code = service_categories.service_key

),

{# BilledCost and EffectiveCost by LineItemType (see _aws__models.yml for each rule). A blank
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

)

select * from costed
