{#- One row per landed billing row that does not count because another delivery replaced it: a
    restated billing period, an identical file delivered twice, a provider line item repeated
    across files, or an Azure actual-cost row whose period the amortized export covers. Nothing is
    dropped silently: each names what replaced it. -#}
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
