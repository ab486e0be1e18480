{#- One row per other_costs.csv record, each landed column cleaned and read once (see _finance__base_models.yml). -#}
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
with

source_rows as (

    select * from {{ source('finance', 'other_costs') }}

),

cleaned as (

    select
        source_rows._source_file,
        source_rows._source_row,
        source_rows._decimal_mark,
        source_rows._date_order,
        source_rows.amount,
        source_rows.incurred_date,
        {{ cost_per_customer.clean_text('source_rows._source_variant') }} as source_variant,
        {{ cost_per_customer.parse_timestamp('source_rows._delivered_at', none) }} as delivered_at,
        {{ cost_per_customer.clean_text('source_rows.cost_id') }} as cost_id_text,
        {{ cost_per_customer.clean_text('source_rows.description') }} as description_text,
        {{ cost_per_customer.clean_text('source_rows.category') }} as category_as_written,
        upper({{ cost_per_customer.clean_text('source_rows.currency') }}) as currency_code,
        {{ cost_per_customer.clean_text('source_rows.pool') }} as pool_text,
        {{ cost_per_customer.clean_text('source_rows.customer_id') }} as customer_id_text,
        {{ cost_per_customer.clean_text('source_rows.amortization_months') }} as months_text,
        {{ cost_per_customer.parse_decimal('source_rows.amount') }} as amount_value,
        {{ cost_per_customer.parse_date('source_rows.incurred_date') }} as incurred_on

    from source_rows

),

{# The month count as a number; the category in lower case, a known synonym read as its category. -#}
read_values as (

    select
        cleaned.*,
        {{ cost_per_customer.parse_decimal('cleaned.months_text') }} as months_number,
        case lower(cleaned.category_as_written)
            {%- for spelling, category in category_synonyms.items() %}
            when '{{ spelling }}' then '{{ category }}'
            {%- endfor %}
            else lower(cleaned.category_as_written)
        end as category_name

    from cleaned

)

select * from read_values
