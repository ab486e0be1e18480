{#- One row per other_costs.csv record (engineering, security, hardware, licences...): a cost of
    `amount` incurred on `incurred_date` and amortized straight-line per UTC day over
    `amortization_months` calendar months, as a billing charge of format 'other_costs' in the
    billing charge contract (billing_charge_columns): the charge period is
    [incurred_date 00:00, incurred_date + amortization_months months), one day when the months are
    0 or blank, and int_charges_prorated splits it into days that add up to the amount exactly.
    Its category (normalized to a cost category), pool and customer_id travel as declared_category,
    pool_name and direct_customer_id. Nothing is filtered here: a row that cannot be used gets its
    quarantine_reason. The only window (no join, no aggregation) flags a cost_id repeated inside
    one file: its later records are quarantined as 'duplicate cost_id'. -#}
{%- set categories = cost_per_customer.cost_categories() -%}
{#- Category spellings read as one of the project's cost categories (anything else is quarantined). -#}
{%- set category_synonyms = {
    'compliance': 'security',
    'hardware': 'compute',
    'licence': 'other',
    'license': 'other',
    'licences': 'other',
    'licenses': 'other',
    'software': 'other',
    'networking': 'network',
    'databases': 'database',
    'monitoring': 'observability',
} -%}
{%- set max_amortization_months = 1200 -%}
with

source_rows as (

    select * from {{ source('finance', 'other_costs') }}

),

cleaned as (

    select
        source_rows.*,
        lower({{ cost_per_customer.clean_text('source_rows.category') }}) as category_text,
        {{ cost_per_customer.clean_text('source_rows.amortization_months') }} as months_text,
        {{ cost_per_customer.parse_date('source_rows.incurred_date') }} as incurred_on

    from source_rows

),

with_months as (

    select
        cleaned.*,
        {{ cost_per_customer.parse_decimal('cleaned.months_text') }} as months_number

    from cleaned

),

{# Whole months of amortization (0: expensed on the day). A bad month count gets a one-day
    placeholder period here; the record is quarantined below. -#}
amortized as (

    select
        with_months.*,
        case
            when with_months.months_number >= 0
                and with_months.months_number <= {{ max_amortization_months }}
                and with_months.months_number = floor(with_months.months_number)
                then cast(with_months.months_number as integer)
            else 0
        end as amortization_month_count

    from with_months

),

typed as (

    select
        source_rows._decimal_mark,
        concat(source_rows._source_file, ':', cast(source_rows._source_row as {{ dbt.type_string() }})) as charge_id,
        source_rows._source_file as source_file,
        source_rows._source_row as source_row,
        'other_costs' as billing_format,
        {{ cost_per_customer.clean_text('source_rows._source_variant') }} as source_variant,
        {{ cost_per_customer.parse_timestamp('source_rows._delivered_at', none) }} as delivered_at,
        {{ cost_per_customer.clean_text('source_rows.cost_id') }} as line_item_id,
        cast(null as {{ dbt.type_string() }}) as billing_account_id,
        cast(null as {{ dbt.type_string() }}) as billing_account_name,
        coalesce(
            upper({{ cost_per_customer.clean_text('source_rows.currency') }}),
            '{{ var("cpc_default_currency", "USD") }}'
        ) as billing_currency,
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
        {{ cost_per_customer.clean_text('source_rows.description') }} as charge_description,
        cast(null as {{ dbt.type_string() }}) as pricing_category,
        cast(null as {{ dbt.type_string() }}) as pricing_unit,
        cast(null as {{ dbt.type_string() }}) as consumed_unit,
        cast(null as {{ dbt.type_string() }}) as service_category,
        cast(null as {{ dbt.type_string() }}) as service_subcategory,
        coalesce(
            {{ cost_per_customer.clean_text('source_rows.description') }},
            {{ cost_per_customer.clean_text('source_rows.category') }}
        ) as service_name,
        cast(null as {{ dbt.type_string() }}) as region_id,
        cast(null as {{ dbt.type_string() }}) as region_name,
        cast(null as {{ dbt.type_string() }}) as availability_zone,
        {{ cost_per_customer.clean_text('source_rows.cost_id') }} as resource_id,
        {{ cost_per_customer.clean_text('source_rows.description') }} as resource_name,
        cast(null as {{ dbt.type_string() }}) as resource_type,
        cast(null as {{ dbt.type_string() }}) as sku_id,
        cast(null as {{ dbt.type_string() }}) as sku_price_id,
        cast(null as {{ dbt.type_string() }}) as commitment_discount_id,
        cast(null as {{ dbt.type_string() }}) as commitment_discount_category,
        cast(null as {{ dbt.type_string() }}) as commitment_discount_type,
        cast(null as {{ dbt.type_string() }}) as commitment_discount_status,
        cast(null as {{ dbt.type_string() }}) as tags,
        {{ cost_per_customer.parse_tags('cast(null as ' ~ dbt.type_string() ~ ')') }} as tags_map,
        {{ cost_per_customer.parse_decimal('source_rows.amount') }} as billed_cost,
        {{ cost_per_customer.parse_decimal('source_rows.amount') }} as effective_cost,
        cast(null as {{ cost_per_customer.money_type() }}) as list_cost,
        cast(null as {{ cost_per_customer.money_type() }}) as contracted_cost,
        cast(null as {{ cost_per_customer.money_type() }}) as consumed_quantity,
        cast(null as {{ cost_per_customer.money_type() }}) as pricing_quantity,
        true as has_valid_tags,
        {{ cost_per_customer.day_start('source_rows.incurred_on') }} as charge_period_start_at,
        case
            when source_rows.amortization_month_count = 0
                then {{ cost_per_customer.day_start('source_rows.incurred_on', 1) }}
            else {{ cost_per_customer.day_start(
                cost_per_customer.add_months('source_rows.incurred_on', 'source_rows.amortization_month_count')
            ) }}
        end as charge_period_end_at,
        cast(null as timestamp) as billing_period_start_at,
        cast(null as timestamp) as billing_period_end_at,
        source_rows.incurred_date as charge_period_start_raw,
        coalesce(source_rows.months_text, '0') as charge_period_end_raw,
        source_rows.amount as effective_cost_raw,
        source_rows.amount as billed_cost_raw,
        cast(null as {{ dbt.type_string() }}) as list_cost_raw,
        case
            {%- for spelling, category in category_synonyms.items() %}
            when source_rows.category_text = '{{ spelling }}' then '{{ category }}'
            {%- endfor %}
            else source_rows.category_text
        end as declared_category,
        {{ cost_per_customer.clean_text('source_rows.pool') }} as pool_name,
        {{ cost_per_customer.clean_text('source_rows.customer_id') }} as direct_customer_id

    from amortized as source_rows

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
