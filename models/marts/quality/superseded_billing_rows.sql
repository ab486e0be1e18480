{#- One row per landed billing row that another delivery replaced; see _quality__models.yml. -#}
with

charges as (

    select * from {{ ref('int_charges_deduplicated') }}
    where superseded_reason is not null

),

listed as (

    select
        charges.charge_id,
        charges.source_file,
        charges.source_row,
        charges.billing_format,
        charges.source_variant,
        charges.delivery_id,
        charges.superseded_reason,
        charges.superseded_by,
        charges.billing_account_id,
        charges.billing_currency as currency,
        charges.effective_cost,
        charges.billed_cost,
        charges.stream_period_start as billing_period_start_date,
        charges.delivered_at,
        charges.quarantine_reason

    from charges

)

select * from listed
