{#- One row per provider line item id repeated across the files of one delivery; see _billing__models.yml. -#}
with

charges as (

    select * from {{ ref('int_charges_unioned') }}

),

line_items as (

    select
        charges.billing_format,
        charges.source_file,
        charges.line_item_id,
        {{ cost_per_customer.billing_stream_keys('charges') }}

    from charges
    where charges.line_item_id is not null

),

repeated_line_items as (

    select
        line_items.billing_format,
        line_items.delivery_id,
        line_items.line_item_id,
        min(line_items.source_file) as first_file

    from line_items
    group by line_items.billing_format, line_items.delivery_id, line_items.line_item_id
    having min(line_items.source_file) <> max(line_items.source_file)

)

select * from repeated_line_items
