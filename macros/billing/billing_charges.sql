{#- The FOCUS-shaped contract every billing staging model leaves staging in (FOCUS, AWS CUR, Azure,
    GCP, OCI, other costs), and the one place that decides which rows are quarantined. -#}

{#- Output columns of every billing staging model, in order; int_charges_unioned selects exactly
    these from each. -#}
{% macro billing_charge_columns() -%}
    {{ return([
        'charge_id', 'source_file', 'source_row', 'billing_format', 'source_variant', 'delivered_at', 'line_item_id',
        'billing_account_id', 'billing_account_name', 'billing_currency', 'sub_account_id', 'sub_account_name',
        'provider_name', 'publisher_name', 'host_provider_name', 'invoice_issuer_name', 'invoice_id',
        'charge_category', 'charge_class', 'charge_frequency', 'charge_description', 'pricing_category',
        'pricing_unit', 'consumed_unit', 'service_category', 'service_subcategory', 'service_name',
        'region_id', 'region_name', 'availability_zone', 'resource_id', 'resource_name', 'resource_type',
        'sku_id', 'sku_price_id', 'commitment_discount_id', 'commitment_discount_category',
        'commitment_discount_type', 'commitment_discount_status', 'tags', 'tags_map', 'customer_tag',
        'billed_cost', 'effective_cost', 'list_cost', 'contracted_cost', 'consumed_quantity', 'pricing_quantity',
        'has_valid_tags', 'charge_period_start_at', 'charge_period_end_at', 'billing_period_start_at',
        'billing_period_end_at', 'charge_period_start_raw', 'charge_period_end_raw', 'effective_cost_raw',
        'billed_cost_raw', 'list_cost_raw', 'declared_category', 'pool_name', 'direct_customer_id', 'quarantine_reason',
        'is_unused_commitment',
    ]) }}
{%- endmacro %}


{#- Contract columns only some inputs have (other_costs.csv's own category, pool and customer): a staging
    model that does not list them in classify_billing_charges' `provides` gets NULL. -#}
{% macro optional_billing_charge_columns() -%}
    {{ return(['declared_category', 'pool_name', 'direct_customer_id']) }}
{%- endmacro %}


{#- The last steps of a billing staging model, written as CTEs in its `with` list after a CTE
    `typed_cte` holding every contract column except quarantine_reason, customer_tag and
    is_unused_commitment: add the reason the row must be quarantined (NULL for a good row) and the
    customer tag's value (from tags_map), and select the contract columns in order, in a last CTE
    named `classified`. `labels` maps charge_period_start, charge_period_end, effective_cost,
    billed_cost, list_cost and tags to the name of the source column the value came from, so that
    a reason names the user's own column (e.g. 'unparseable lineItem/UsageStartDate'). `provides`
    lists the optional contract columns (optional_billing_charge_columns) the CTE has; the others
    are NULL. The CTE also carries the landed `_decimal_mark` of its rows, so that a money value
    that does not read says why. Each raw value is cleaned once (quarantine_texts); the number shapes
    are found only for the one amount whose reason they explain (quarantine_numbers to quarantine_checks). -#}
{% macro classify_billing_charges(typed_cte, labels={}, provides=[]) -%}
    {%- set names = {
        'charge_period_start': 'ChargePeriodStart', 'charge_period_end': 'ChargePeriodEnd',
        'effective_cost': 'EffectiveCost', 'billed_cost': 'BilledCost', 'list_cost': 'ListCost', 'tags': 'Tags',
    } -%}
    {%- for key in labels %}
        {%- if key not in names -%}
            {{ exceptions.raise_compiler_error("classify_billing_charges in " ~ this ~ ": unknown label key '" ~ key ~ "' (allowed: " ~ names.keys() | join(', ') ~ ")") }}
        {%- endif -%}
        {%- do names.update({key: labels[key]}) -%}
    {%- endfor -%}
    {%- set amounts = ['effective_cost', 'billed_cost', 'list_cost'] -%}
quarantine_texts as (

    select
        *,
        {%- for raw in ['charge_period_start', 'charge_period_end'] + amounts %}
        {{ cost_per_customer.clean_text(raw ~ '_raw') }} as {{ raw }}_checked_text,
        {%- endfor %}
        {{ cost_per_customer.tag_values('tags_map', cost_per_customer.setting('cpc_customer_tag_key', 'customer_id')) }} as customer_tag_values

    from {{ typed_cte }}

),

{# The number text of the first amount a reason may name for not reading (EffectiveCost, then
    BilledCost and ListCost when written), and which number shapes it fits. -#}
quarantine_numbers as (

    select
        *,
        {{ cost_per_customer.number_text(
            'case when effective_cost is null then effective_cost_checked_text'
            ~ ' when billed_cost is null and billed_cost_checked_text is not null then billed_cost_checked_text'
            ~ ' when list_cost is null then list_cost_checked_text end'
        ) }} as unread_number_text

    from quarantine_texts

),

quarantine_shapes as (

    select
        *,
        {{ cost_per_customer.regex_full_match('unread_number_text', cost_per_customer.decimal_point_pattern()) }} as unread_fits_point,
        {{ cost_per_customer.regex_full_match('unread_number_text', cost_per_customer.decimal_comma_pattern()) }} as unread_fits_comma

    from quarantine_numbers

),

quarantine_checks as (

    select
        *,
        {{ cost_per_customer.decimal_problem_reason('unread_fits_point', 'unread_fits_comma', '_decimal_mark') }} as unread_problem

    from quarantine_shapes

),

classified as (

    select
        {%- for column in cost_per_customer.billing_charge_columns() %}
        {%- if column == 'quarantine_reason' %}
        case
            when checked.charge_period_start_checked_text is null then 'missing {{ names.charge_period_start }}'
            when checked.charge_period_start_at is null then 'unparseable {{ names.charge_period_start }}'
            when checked.charge_period_end_checked_text is null then 'missing {{ names.charge_period_end }}'
            when checked.charge_period_end_at is null then 'unparseable {{ names.charge_period_end }}'
            when checked.charge_period_end_at < checked.charge_period_start_at then '{{ names.charge_period_end }} before {{ names.charge_period_start }}'
            when checked.effective_cost_checked_text is null then 'missing {{ names.effective_cost }}'
            {%- for amount in amounts %}
            when checked.{{ amount }} is null{% if amount != 'effective_cost' %} and checked.{{ amount }}_checked_text is not null{% endif %}
                then concat('unparseable {{ names[amount] }}', checked.unread_problem)
            {%- endfor %}
            when not checked.has_valid_tags then concat('{{ names.tags }}', {{ cost_per_customer.tags_problem('checked.tags') }})
            when {{ cost_per_customer.distinct_tag_values('checked.customer_tag_values') }} > 1
                then '{{ names.tags }} give the customer tag {{ cost_per_customer.setting('cpc_customer_tag_key', 'customer_id') }} two different values'
        end as quarantine_reason{{ "," if not loop.last }}
        {%- elif column == 'customer_tag' %}
        {{ cost_per_customer.first_tag_value('checked.customer_tag_values') }} as customer_tag{{ "," if not loop.last }}
        {%- elif column == 'is_unused_commitment' %}
        coalesce(checked.commitment_discount_status = 'Unused', false) as is_unused_commitment{{ "," if not loop.last }}
        {%- elif column in cost_per_customer.optional_billing_charge_columns() and column not in provides %}
        cast(null as {{ dbt.type_string() }}) as {{ column }}{{ "," if not loop.last }}
        {%- else %}
        checked.{{ column }}{{ "," if not loop.last }}
        {%- endif %}
        {%- endfor %}

    from quarantine_checks as checked

)
{%- endmacro %}
