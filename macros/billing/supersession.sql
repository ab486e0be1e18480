{#- Whether a billing row counts (int_charges_deduplicated): the two columns saying why it does
    not, computed from its keys and the three lookup tables. One definition for the model, which
    flags the rows it reads, and for its pre-hook, which flags the rows it keeps again. -#}

{#- The select-list columns superseded_reason and superseded_by of the billing rows `rows` (with
    the keys of billing_stream_keys), joined by superseded_lookups. -#}
{% macro superseded_columns(rows) -%}
        case
            {# Commitment purchases and refunds exist only in the actual-cost export (EffectiveCost 0:
               the amortized rows carry it), so they are kept beside the amortized export. #}
            when {{ rows }}.delivery_id <> winning_deliveries.winning_delivery_id
                and {{ rows }}.variant_rank > winning_deliveries.winning_variant_rank
                and {{ rows }}.charge_category = 'Purchase' and {{ rows }}.commitment_discount_id is not null
                then null
            when {{ rows }}.delivery_id <> winning_deliveries.winning_delivery_id
                and {{ rows }}.variant_rank > winning_deliveries.winning_variant_rank
                then 'amortized_export_preferred'
            when {{ rows }}.delivery_id <> winning_deliveries.winning_delivery_id then 'restated'
            when duplicate_files.source_file is not null then 'duplicate_file'
            when {{ rows }}.source_file <> repeated_line_items.first_file then 'duplicate_line_item'
        end as superseded_reason,
        case
            when {{ rows }}.delivery_id <> winning_deliveries.winning_delivery_id
                and {{ rows }}.variant_rank > winning_deliveries.winning_variant_rank
                and {{ rows }}.charge_category = 'Purchase' and {{ rows }}.commitment_discount_id is not null
                then null
            when {{ rows }}.delivery_id <> winning_deliveries.winning_delivery_id then winning_deliveries.winning_delivery_id
            when duplicate_files.source_file is not null then duplicate_files.original_file
            when {{ rows }}.source_file <> repeated_line_items.first_file then repeated_line_items.first_file
        end as superseded_by
{%- endmacro %}


{#- The joins of the billing rows `rows` to the lookup tables superseded_columns reads, given as
    relations or CTE names (each is aliased by its model's purpose). -#}
{% macro superseded_lookups(rows, winning_deliveries, duplicate_files, repeated_line_items) -%}
    inner join {{ winning_deliveries }} as winning_deliveries
        on {{ rows }}.billing_format = winning_deliveries.billing_format
        and {{ rows }}.stream_account_id = winning_deliveries.stream_account_id
        and {{ rows }}.stream_period_start = winning_deliveries.stream_period_start
    left join {{ duplicate_files }} as duplicate_files
        on {{ rows }}.source_file = duplicate_files.source_file
    left join {{ repeated_line_items }} as repeated_line_items
        on {{ rows }}.billing_format = repeated_line_items.billing_format
        and {{ rows }}.delivery_id = repeated_line_items.delivery_id
        and {{ rows }}.line_item_id = repeated_line_items.line_item_id
{%- endmacro %}


{#- The third pre-hook of int_charges_deduplicated (kept file by file) on an incremental run
    (`select 1` otherwise), after clear_changed_files and keep_rows_of_appended_files: the rows it
    keeps take the delivery time their union rows have now (refresh_billing_delivery_times), and
    whether they count is decided again, since a new delivery, file or line item elsewhere may
    supersede them or no longer do. Reads only the key columns and updates only the rows that
    differ; the run then inserts the rows of the files read again. -#}
{% macro refresh_kept_charges() -%}
    {%- if not cost_per_customer.keeps_files() -%}
        {{ return('select 1') }}
    {%- endif -%}
    update {{ this }}
    set
        delivered_at = refreshed.delivered_at,
        superseded_reason = refreshed.superseded_reason,
        superseded_by = refreshed.superseded_by
    from (
        select
            keyed.charge_id,
            keyed.delivered_at,
            {{ cost_per_customer.superseded_columns('keyed') }}
        from (
            select
                charges.charge_id,
                charges.billing_format,
                charges.source_file,
                charges.line_item_id,
                charges.charge_category,
                charges.commitment_discount_id,
                charges.delivered_at,
                {{ cost_per_customer.billing_stream_keys('charges') }}
            from {{ ref('int_charges_unioned') }} as charges
        ) as keyed
        {{ cost_per_customer.superseded_lookups('keyed', ref('int_billing_winning_deliveries'),
            ref('int_billing_duplicate_files'), ref('int_billing_repeated_line_items')) }}
    ) as refreshed
    where {{ this.identifier }}.charge_id = refreshed.charge_id
        and (
            {{ this.identifier }}.delivered_at is distinct from refreshed.delivered_at
            or {{ this.identifier }}.superseded_reason is distinct from refreshed.superseded_reason
            or {{ this.identifier }}.superseded_by is distinct from refreshed.superseded_by
        )
{%- endmacro %}
