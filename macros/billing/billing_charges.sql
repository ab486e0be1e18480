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


{#- The last step of a billing staging model: from a CTE `typed_cte` holding every contract column
    except quarantine_reason, customer_tag and is_unused_commitment, add the reason the row must be
    quarantined (NULL for a good row) and the customer tag's value (from tags_map), and select the
    contract columns in order. `labels` maps
    charge_period_start, charge_period_end, effective_cost, billed_cost, list_cost and tags to the
    name of the source column the value came from, so that a reason names the user's own column
    (e.g. 'unparseable lineItem/UsageStartDate'). `provides` lists the optional contract columns
    (optional_billing_charge_columns) the CTE has; the others are NULL. The CTE also carries the
    landed `_decimal_mark` of its rows, so that a money value that does not read says why. -#}
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
    select
        {%- for column in cost_per_customer.billing_charge_columns() %}
        {%- if column == 'quarantine_reason' %}
        case
            when {{ cost_per_customer.clean_text(typed_cte ~ '.charge_period_start_raw') }} is null then 'missing {{ names.charge_period_start }}'
            when {{ typed_cte }}.charge_period_start_at is null then 'unparseable {{ names.charge_period_start }}'
            when {{ cost_per_customer.clean_text(typed_cte ~ '.charge_period_end_raw') }} is null then 'missing {{ names.charge_period_end }}'
            when {{ typed_cte }}.charge_period_end_at is null then 'unparseable {{ names.charge_period_end }}'
            when {{ typed_cte }}.charge_period_end_at < {{ typed_cte }}.charge_period_start_at then '{{ names.charge_period_end }} before {{ names.charge_period_start }}'
            when {{ cost_per_customer.clean_text(typed_cte ~ '.effective_cost_raw') }} is null then 'missing {{ names.effective_cost }}'
            when {{ typed_cte }}.effective_cost is null then concat('unparseable {{ names.effective_cost }}', {{ cost_per_customer.decimal_problem(typed_cte ~ '.effective_cost_raw', typed_cte ~ '._decimal_mark') }})
            when {{ typed_cte }}.billed_cost is null and {{ cost_per_customer.clean_text(typed_cte ~ '.billed_cost_raw') }} is not null then concat('unparseable {{ names.billed_cost }}', {{ cost_per_customer.decimal_problem(typed_cte ~ '.billed_cost_raw', typed_cte ~ '._decimal_mark') }})
            when {{ typed_cte }}.list_cost is null and {{ cost_per_customer.clean_text(typed_cte ~ '.list_cost_raw') }} is not null then concat('unparseable {{ names.list_cost }}', {{ cost_per_customer.decimal_problem(typed_cte ~ '.list_cost_raw', typed_cte ~ '._decimal_mark') }})
            when not {{ typed_cte }}.has_valid_tags then concat('{{ names.tags }}', {{ cost_per_customer.tags_problem(typed_cte ~ '.tags') }})
            when {{ cost_per_customer.distinct_tag_values(typed_cte ~ '.customer_tag_values') }} > 1
                then '{{ names.tags }} give the customer tag {{ var('cpc_customer_tag_key', 'customer_id') }} two different values'
        end as quarantine_reason{{ "," if not loop.last }}
        {%- elif column == 'customer_tag' %}
        {{ cost_per_customer.first_tag_value(typed_cte ~ '.customer_tag_values') }} as customer_tag{{ "," if not loop.last }}
        {%- elif column == 'is_unused_commitment' %}
        coalesce({{ typed_cte }}.commitment_discount_status = 'Unused', false) as is_unused_commitment{{ "," if not loop.last }}
        {%- elif column in cost_per_customer.optional_billing_charge_columns() and column not in provides %}
        cast(null as {{ dbt.type_string() }}) as {{ column }}{{ "," if not loop.last }}
        {%- else %}
        {{ typed_cte }}.{{ column }}{{ "," if not loop.last }}
        {%- endif %}
        {%- endfor %}

    from (
        select
            {{ typed_cte }}.*,
            {{ cost_per_customer.tag_values(typed_cte ~ '.tags_map', var('cpc_customer_tag_key', 'customer_id')) }} as customer_tag_values
        from {{ typed_cte }}
    ) as {{ typed_cte }}
{%- endmacro %}
