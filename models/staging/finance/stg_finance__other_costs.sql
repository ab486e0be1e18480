{#- One row per other_costs.csv record as an amortized billing charge, with its quarantine reason (see _finance__models.yml). -#}
{%- set categories = cost_per_customer.cost_categories() -%}
{%- set max_amortization_months = 1200 -%}
with

cost_records as (

    select * from {{ ref('base_finance__other_costs') }}

),

{# Whole months of amortization (0: expensed on the day). A bad month count gets a one-day
    placeholder period here; the record is quarantined below. -#}
amortized as (

    select
        cost_records.*,
        case
            when cost_records.months_number >= 0
                and cost_records.months_number <= {{ max_amortization_months }}
                and cost_records.months_number = floor(cost_records.months_number)
                then cast(cost_records.months_number as integer)
            else 0
        end as amortization_month_count

    from cost_records

),

typed as (

    select
        records._decimal_mark,
        concat(records._source_file, ':', cast(records._source_row as {{ dbt.type_string() }})) as charge_id,
        records._source_file as source_file,
        records._source_row as source_row,
        'other_costs' as billing_format,
        records.source_variant,
        records.delivered_at,
        records.cost_id_text as line_item_id,
        cast(null as {{ dbt.type_string() }}) as billing_account_id,
        cast(null as {{ dbt.type_string() }}) as billing_account_name,
        coalesce(records.currency_code, '{{ var("cpc_default_currency", "USD") }}') as billing_currency,
        cast(null as {{ dbt.type_string() }}) as sub_account_id,
        cast(null as {{ dbt.type_string() }}) as sub_account_name,
        'other_costs' as provider_name,
        cast(null as {{ dbt.type_string() }}) as publisher_name,
        cast(null as {{ dbt.type_string() }}) as host_provider_name,
        cast(null as {{ dbt.type_string() }}) as invoice_issuer_name,
        cast(null as {{ dbt.type_string() }}) as invoice_id,
        'Purchase' as charge_category,
        cast(null as {{ dbt.type_string() }}) as charge_class,
        cast(null as {{ dbt.type_string() }}) as charge_frequency,
        records.description_text as charge_description,
        cast(null as {{ dbt.type_string() }}) as pricing_category,
        cast(null as {{ dbt.type_string() }}) as pricing_unit,
        cast(null as {{ dbt.type_string() }}) as consumed_unit,
        cast(null as {{ dbt.type_string() }}) as service_category,
        cast(null as {{ dbt.type_string() }}) as service_subcategory,
        coalesce(records.description_text, records.category_as_written) as service_name,
        cast(null as {{ dbt.type_string() }}) as region_id,
        cast(null as {{ dbt.type_string() }}) as region_name,
        cast(null as {{ dbt.type_string() }}) as availability_zone,
        records.cost_id_text as resource_id,
        records.description_text as resource_name,
        cast(null as {{ dbt.type_string() }}) as resource_type,
        cast(null as {{ dbt.type_string() }}) as sku_id,
        cast(null as {{ dbt.type_string() }}) as sku_price_id,
        cast(null as {{ dbt.type_string() }}) as commitment_discount_id,
        cast(null as {{ dbt.type_string() }}) as commitment_discount_category,
        cast(null as {{ dbt.type_string() }}) as commitment_discount_type,
        cast(null as {{ dbt.type_string() }}) as commitment_discount_status,
        cast(null as {{ dbt.type_string() }}) as tags,
        {{ cost_per_customer.parse_tags('cast(null as ' ~ dbt.type_string() ~ ')') }} as tags_map,
        records.amount_value as billed_cost,
        records.amount_value as effective_cost,
        cast(null as {{ cost_per_customer.money_type() }}) as list_cost,
        cast(null as {{ cost_per_customer.money_type() }}) as contracted_cost,
        cast(null as {{ cost_per_customer.money_type() }}) as consumed_quantity,
        cast(null as {{ cost_per_customer.money_type() }}) as pricing_quantity,
        true as has_valid_tags,
        {{ cost_per_customer.day_start('records.incurred_on') }} as charge_period_start_at,
        case
            when records.amortization_month_count = 0
                then {{ cost_per_customer.day_start('records.incurred_on', 1) }}
            else {{ cost_per_customer.day_start(
                cost_per_customer.add_months('records.incurred_on', 'records.amortization_month_count')
            ) }}
        end as charge_period_end_at,
        cast(null as timestamp) as billing_period_start_at,
        cast(null as timestamp) as billing_period_end_at,
        records.incurred_date as charge_period_start_raw,
        coalesce(records.months_text, '0') as charge_period_end_raw,
        records.amount as effective_cost_raw,
        records.amount as billed_cost_raw,
        cast(null as {{ dbt.type_string() }}) as list_cost_raw,
        records.category_name as declared_category,
        records.pool_text as pool_name,
        records.customer_id_text as direct_customer_id

    from amortized as records

),

{{ cost_per_customer.classify_billing_charges(
    'typed',
    labels={
        'charge_period_start': 'incurred_date',
        'charge_period_end': 'amortization_months',
        'effective_cost': 'amount',
        'billed_cost': 'amount',
    },
    provides=['declared_category', 'pool_name', 'direct_customer_id'],
) }},

{# What the contract's checks cannot see: the month count (read back from charge_period_end_raw),
    the cost_id, the category, and a cost_id repeated in one file (its first record counts). -#}
flagged as (

    select
        classified.*,
        {{ cost_per_customer.parse_decimal('classified.charge_period_end_raw', 'null') }} as months_number,
        row_number() over (
            partition by classified.source_file, classified.line_item_id
            order by classified.source_row
        ) as cost_id_occurrence

    from classified

),

checked as (

    select
        {%- for column in cost_per_customer.billing_charge_columns() %}
        {%- if column == 'quarantine_reason' %}
        case
            when flagged.quarantine_reason is not null then flagged.quarantine_reason
            when flagged.months_number is null then 'unparseable amortization_months'
            when flagged.months_number < 0 then 'negative amortization_months'
            when flagged.months_number <> floor(flagged.months_number) then 'amortization_months is not a whole number'
            when flagged.months_number > {{ max_amortization_months }} then 'amortization_months over {{ max_amortization_months }}'
            when flagged.line_item_id is null then 'missing cost_id'
            when flagged.declared_category is null then 'missing category'
            when flagged.declared_category not in ({{ "'" ~ categories | join("', '") ~ "'" }})
                then concat('unknown category ', flagged.declared_category)
            when flagged.cost_id_occurrence > 1 then 'duplicate cost_id'
        end as quarantine_reason{{ "," if not loop.last }}
        {%- elif column == 'declared_category' %}
        case
            when flagged.declared_category in ({{ "'" ~ categories | join("', '") ~ "'" }}) then flagged.declared_category
            else 'other'
        end as declared_category{{ "," if not loop.last }}
        {%- else %}
        flagged.{{ column }}{{ "," if not loop.last }}
        {%- endif %}
        {%- endfor %}

    from flagged

)

select * from checked
