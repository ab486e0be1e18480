{#- One row per landed Azure cost details row, each landed column cleaned and read once (see _azure__base_models.yml). -#}
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
        regexp_extract(resource_id, '(?i)/providers/([^/]+/[^/]+)', 1) as resource_id_type_part

    from amounts_read

),

{# Timestamps read (delivered_at is ISO 8601 text written by `cpc land`: no date order applies to it). -#}
{{ cost_per_customer.read_timestamps('keyed', {
    'delivered_at': 'delivered_at_text',
    'charge_at': 'date_text',
    'billing_period_first_at': 'billing_period_start_text',
    'billing_period_last_at': 'billing_period_end_text',
}, as_cte='timestamps_read') }},

{# The days of the timestamps and the tags as a map; the FOCUS ServiceCategory the seed lists for the
    row's MeterCategory and for its ConsumedService. -#}
categorized as (

    select
        timestamps_read.*,
        {{ cost_per_customer.parse_tags('timestamps_read.tags_json') }} as tags_map,
        cast(timestamps_read.charge_at as date) as charge_day,
        cast(timestamps_read.billing_period_first_at as date) as billing_period_first_day,
        cast(timestamps_read.billing_period_last_at as date) as billing_period_last_day,
        meter_categories.service_category as meter_listed_category,
        consumed_services.service_category as service_listed_category

    from timestamps_read
    left join service_categories as meter_categories
        on meter_categories.provider = 'azure'
        and meter_categories.source_column = 'meter_category'
        and timestamps_read.meter_category_key = meter_categories.service_key
    left join service_categories as consumed_services
        on consumed_services.provider = 'azure'
        and consumed_services.source_column = 'consumed_service'
        and timestamps_read.consumed_service_key = consumed_services.service_key

)

select * from categorized
