{#- The billing formats: the raw table each lands in (source, table) and the staging model that
    normalizes it to the billing charge contract (billing_charge_columns). int_charges_unioned
    unions the models; the conservation test counts the raw tables. Adding a format = one entry. -#}
{% macro billing_formats() -%}
    {{ return([
        {'format': 'focus', 'source': 'focus', 'table': 'billing', 'model': 'stg_focus__charges'},
        {'format': 'aws_cur', 'source': 'aws', 'table': 'billing_aws', 'model': 'stg_aws__cost_and_usage'},
        {'format': 'azure', 'source': 'azure', 'table': 'billing_azure', 'model': 'stg_azure__cost_details'},
        {'format': 'gcp', 'source': 'gcp', 'table': 'billing_gcp', 'model': 'stg_gcp__billing_export'},
        {'format': 'oci', 'source': 'oci', 'table': 'billing_oci', 'model': 'stg_oci__cost_reports'},
        {'format': 'other_costs', 'source': 'finance', 'table': 'other_costs', 'model': 'stg_finance__other_costs'},
    ]) }}
{%- endmacro %}


{% macro billing_staging_models() -%}
    {{ return(cost_per_customer.billing_formats() | map(attribute='model') | list) }}
{%- endmacro %}


{#- A 64-bit numeric fingerprint of a row's values (NULL-safe), for comparing whole files: equal
    values give equal fingerprints within one engine. -#}
{% macro row_fingerprint(columns) -%}
    {{ return(adapter.dispatch('row_fingerprint', 'cost_per_customer')(columns)) }}
{%- endmacro %}
{% macro default__row_fingerprint(columns) -%}
    cast(hash({{ columns | join(', ') }}) as decimal(38, 0))
{%- endmacro %}
{% macro spark__row_fingerprint(columns) -%}
    cast(xxhash64({{ columns | join(', ') }}) as decimal(38, 0))
{%- endmacro %}


{#- The folder part of a landed file path ('billing/2024-01/a.csv' -> 'billing/2024-01'): files in
    one folder form one delivery. -#}
{% macro file_folder(path_column) -%}
    regexp_replace({{ path_column }}, '/[^/]*$', '')
{%- endmacro %}


{#- Which export wins when several cover one account and billing period: a lower rank wins before
    the newest delivery is considered. Azure's amortized export (the EffectiveCost basis) wins over
    its actual-cost export; every other variant ranks alike. -#}
{% macro delivery_variant_rank(format_column, variant_column) -%}
    case
        when {{ format_column }} = 'azure' and {{ variant_column }} = 'amortized' then 0
        when {{ format_column }} = 'azure' and {{ variant_column }} = 'actual' then 2
        else 1
    end
{%- endmacro %}


{#- The select-list columns naming the delivery a billing row came in (delivery_id), the
    account-period stream it belongs to (stream_account_id, stream_period_start) and its variant
    rank, for rows of int_charges_unioned aliased `alias` (int_charges_deduplicated). -#}
{% macro billing_stream_keys(alias) -%}
        concat(
            {{ cost_per_customer.file_folder(alias ~ '.source_file') }}, '|', coalesce({{ alias }}.source_variant, '')
        ) as delivery_id,
        coalesce({{ alias }}.billing_account_id, '') as stream_account_id,
        coalesce(
            cast({{ alias }}.billing_period_start_at as date),
            {{ cost_per_customer.month_start(alias ~ '.charge_period_start_at') }},
            cast('1900-01-01' as date)
        ) as stream_period_start,
        {{ cost_per_customer.delivery_variant_rank(alias ~ '.billing_format', alias ~ '.source_variant') }} as variant_rank
{%- endmacro %}


{#- The pre-hook of int_charges_unioned (kept file by file) after clear_changed_files, on an
    incremental run (`select 1` otherwise): a kept file delivered again unchanged keeps its rows,
    and gets the delivery time its staging rows have now (deduplication picks the latest delivery
    by it). The delivery time is the file's own, on each of its landed rows (`_delivered_at`, ISO
    8601 text written by cpc land): it is read from the landed tables, two columns of the kept
    files' rows, and read as its staging model reads it (parse_timestamp), rather than through
    the staging views, which would read every column of every row of those files. -#}
{% macro refresh_billing_delivery_times() -%}
    {%- set kept_files = cost_per_customer.files_kept() -%}
    {%- if kept_files | length == 0 -%}
        {{ return('select 1') }}
    {%- endif -%}
    update {{ this }}
    set delivered_at = delivered.delivered_at
    from (
        select
            landed.source_file,
            {{ cost_per_customer.parse_timestamp('landed.delivered_at_text', none) }} as delivered_at
        from (
            {%- for format in cost_per_customer.billing_formats() %}
            select _source_file as source_file, max(_delivered_at) as delivered_at_text
            from {{ source(format.source, format.table) }}
            where {{ cost_per_customer.in_files('_source_file', kept_files) }}
            group by _source_file
            {{ "union all" if not loop.last }}
            {%- endfor %}
        ) as landed
    ) as delivered
    where {{ this.identifier }}.source_file = delivered.source_file
        and {{ this.identifier }}.delivered_at is distinct from delivered.delivered_at
{%- endmacro %}
