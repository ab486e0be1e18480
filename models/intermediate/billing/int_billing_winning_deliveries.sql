{#- One row per billing format, account and period: the delivery that counts; see _billing__models.yml. -#}
with

charges as (

    select * from {{ ref('int_charges_unioned') }}

),

{# Only the few narrow columns the keys need are read from the billing rows. billing_stream_keys
   gives the stream (account and period, within the format), the delivery (folder and export
   variant) and the variant rank. -#}
stream_rows as (

    select
        charges.billing_format,
        charges.delivered_at,
        {{ cost_per_customer.billing_stream_keys('charges') }}

    from charges

),

deliveries as (

    select
        stream_rows.billing_format,
        stream_rows.stream_account_id,
        stream_rows.stream_period_start,
        stream_rows.delivery_id,
        min(stream_rows.variant_rank) as variant_rank,
        max(stream_rows.delivered_at) as delivered_at

    from stream_rows
    group by
        stream_rows.billing_format,
        stream_rows.stream_account_id,
        stream_rows.stream_period_start,
        stream_rows.delivery_id

),

ranked_deliveries as (

    select
        deliveries.*,
        row_number() over (
            partition by deliveries.billing_format, deliveries.stream_account_id, deliveries.stream_period_start
            order by deliveries.variant_rank asc, deliveries.delivered_at desc, deliveries.delivery_id desc
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

)

select * from winning_deliveries
