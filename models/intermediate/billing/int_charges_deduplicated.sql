{#- One row per landed billing row, with whether it counts; see _billing__models.yml. -#}
with

charges as (

    select * from {{ ref('int_charges_unioned') }}

),

service_categories as (

    select * from {{ ref('service_category_cost_categories') }}

),

winning_deliveries as (

    select * from {{ ref('int_billing_winning_deliveries') }}

),

duplicate_files as (

    select * from {{ ref('int_billing_duplicate_files') }}

),

repeated_line_items as (

    select * from {{ ref('int_billing_repeated_line_items') }}

),

{# Every row with its keys and its cost category (declared by the input, e.g. other_costs.csv,
    else from ServiceCategory). -#}
keyed as (

    select
        charges.*,
        coalesce(
            charges.declared_category,
            {{ cost_per_customer.cost_category('charges.service_category', 'service_categories.cost_category') }}
        ) as cost_category,
        {{ cost_per_customer.billing_stream_keys('charges') }}

    from charges
    left join service_categories
        on charges.service_category = service_categories.service_category

),

flagged as (

    select
        {%- for column in cost_per_customer.deduplicated_charge_columns() if column not in ['superseded_reason', 'superseded_by'] %}
        keyed.{{ column }},
        {%- endfor %}
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
