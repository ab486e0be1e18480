{#- One row per landed billing row (every format), with whether it counts. A row is superseded when
    - restated: a newer delivery covers the same format, billing account and billing period (a
      delivery is the files of one folder with one export variant; the newest is the one with the
      latest file time, then the last folder by path); for Azure, an amortized export wins over an
      actual-cost export of the same account and period (amortized_export_preferred), except
      the commitment purchases and refunds only the actual export has (EffectiveCost 0);
    - duplicate_file: an identical file (same row count and the same fingerprints of every
      column) of the same delivery sorts before it;
    - duplicate_line_item: its provider line item id already came in an earlier file of the
      delivery.
    Superseded rows are kept here (and listed in superseded_billing_rows) but never allocated. -#}
{#- Every contract column but the row's own identity (file, row, delivery time) and the parsed tag
    map (its text is in `tags`; Spark cannot hash a map). -#}
{%- set fingerprint_columns = [] -%}
{%- for column in cost_per_customer.billing_charge_columns() -%}
    {%- if column not in ['charge_id', 'source_file', 'source_row', 'delivered_at', 'tags_map'] -%}
        {%- do fingerprint_columns.append('unioned.' ~ column) -%}
    {%- endif -%}
{%- endfor -%}
with

{# Memory: the wide rows are read twice, as a narrow projection for the small lookup tables and
   once for the output, rather than through one shared CTE (which the engine would materialize
   whole: 3 M rows x 60 columns does not fit a 3 GB DuckDB). #}
service_categories as (

    select * from {{ ref('service_category_cost_categories') }}

),

row_keys as (

    select
        unioned.billing_format,
        unioned.source_file,
        unioned.line_item_id,
        unioned.delivered_at,
        {{ cost_per_customer.billing_stream_keys('unioned') }},
        {{ cost_per_customer.row_fingerprint(fingerprint_columns) }} as row_fingerprint

    from {{ ref('int_charges_unioned') }} as unioned

),

{#- Every row with its keys and its cost category (declared by the input, e.g. other_costs.csv,
    else from ServiceCategory). -#}
keyed as (

    select
        unioned.*,
        coalesce(
            unioned.declared_category,
            {{ cost_per_customer.cost_category('unioned.service_category', 'service_categories.cost_category') }}
        ) as cost_category,
        {{ cost_per_customer.billing_stream_keys('unioned') }}

    from {{ ref('int_charges_unioned') }} as unioned
    left join service_categories
        on unioned.service_category = service_categories.service_category

),

deliveries as (

    select
        billing_format,
        stream_account_id,
        stream_period_start,
        delivery_id,
        min(variant_rank) as variant_rank,
        max(delivered_at) as delivered_at

    from row_keys
    group by billing_format, stream_account_id, stream_period_start, delivery_id

),

ranked_deliveries as (

    select
        deliveries.*,
        row_number() over (
            partition by deliveries.billing_format, deliveries.stream_account_id, deliveries.stream_period_start
            order by deliveries.variant_rank, deliveries.delivered_at desc, deliveries.delivery_id desc
        ) as delivery_rank

    from deliveries

),

winning_deliveries as (

    select
        ranked_deliveries.billing_format,
        ranked_deliveries.stream_account_id,
        ranked_deliveries.stream_period_start,
        ranked_deliveries.delivery_id as winning_delivery_id,
        ranked_deliveries.variant_rank as winning_variant_rank

    from ranked_deliveries
    where ranked_deliveries.delivery_rank = 1

),

files as (

    select
        billing_format,
        delivery_id,
        source_file,
        count(*) as row_count,
        sum(row_fingerprint) as file_fingerprint

    from row_keys
    group by billing_format, delivery_id, source_file

),

{#- Files identical to one that sorts before them in the same delivery. -#}
duplicate_files as (

    select
        later_files.source_file,
        min(earlier_files.source_file) as original_file

    from files as later_files
    inner join files as earlier_files
        on later_files.billing_format = earlier_files.billing_format
        and later_files.delivery_id = earlier_files.delivery_id
        and later_files.row_count = earlier_files.row_count
        and later_files.file_fingerprint = earlier_files.file_fingerprint
        and earlier_files.source_file < later_files.source_file
    group by later_files.source_file

),

{#- Provider line item ids seen in more than one file of a delivery: the first file keeps them. -#}
repeated_line_items as (

    select
        billing_format,
        delivery_id,
        line_item_id,
        min(source_file) as first_file

    from row_keys
    where line_item_id is not null
    group by billing_format, delivery_id, line_item_id
    having count(distinct source_file) > 1

),

flagged as (

    select
        keyed.*,
        case
            {# Commitment purchases and refunds exist only in the actual-cost export (EffectiveCost 0:
               the amortized rows carry it), so they are kept beside the amortized export. #}
            when keyed.delivery_id <> winning_deliveries.winning_delivery_id
                and keyed.variant_rank > winning_deliveries.winning_variant_rank
                and keyed.charge_category = 'Purchase' and keyed.commitment_discount_id is not null
                then null
            when keyed.delivery_id <> winning_deliveries.winning_delivery_id
                and keyed.variant_rank > winning_deliveries.winning_variant_rank
                then 'amortized_export_preferred'
            when keyed.delivery_id <> winning_deliveries.winning_delivery_id then 'restated'
            when duplicate_files.source_file is not null then 'duplicate_file'
            when keyed.source_file <> repeated_line_items.first_file then 'duplicate_line_item'
        end as superseded_reason,
        case
            when keyed.delivery_id <> winning_deliveries.winning_delivery_id
                and keyed.variant_rank > winning_deliveries.winning_variant_rank
                and keyed.charge_category = 'Purchase' and keyed.commitment_discount_id is not null
                then null
            when keyed.delivery_id <> winning_deliveries.winning_delivery_id then winning_deliveries.winning_delivery_id
            when duplicate_files.source_file is not null then duplicate_files.original_file
            when keyed.source_file <> repeated_line_items.first_file then repeated_line_items.first_file
        end as superseded_by

    from keyed
    inner join winning_deliveries
        on keyed.billing_format = winning_deliveries.billing_format
        and keyed.stream_account_id = winning_deliveries.stream_account_id
        and keyed.stream_period_start = winning_deliveries.stream_period_start
    left join duplicate_files
        on keyed.source_file = duplicate_files.source_file
    left join repeated_line_items
        on keyed.billing_format = repeated_line_items.billing_format
        and keyed.delivery_id = repeated_line_items.delivery_id
        and keyed.line_item_id = repeated_line_items.line_item_id

)

select * from flagged
