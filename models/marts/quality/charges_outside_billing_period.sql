{#- One row per counted billing charge outside its billing period; see _quality__models.yml. -#}
with

charges as (

    select * from {{ ref('int_charges_deduplicated') }}
    where superseded_reason is null
        and quarantine_reason is null
        and billing_period_start_at is not null
        and billing_period_end_at is not null
        and (
            charge_period_start_at < billing_period_start_at
            or charge_period_end_at > billing_period_end_at
        )

),

listed as (

    select
        charges.charge_id,
        charges.source_file,
        charges.source_row,
        charges.billing_format,
        charges.billing_account_id,
        case
            when charges.charge_period_start_at < charges.billing_period_start_at
                and charges.charge_period_end_at > charges.billing_period_end_at then 'both_sides'
            when charges.charge_period_end_at <= charges.billing_period_start_at then 'before'
            when charges.charge_period_start_at >= charges.billing_period_end_at then 'after'
            when charges.charge_period_start_at < charges.billing_period_start_at then 'starts_before'
            else 'ends_after'
        end as period_position,
        charges.billing_currency as currency,
        charges.effective_cost,
        charges.charge_period_start_at,
        charges.charge_period_end_at,
        charges.billing_period_start_at,
        charges.billing_period_end_at

    from charges

)

select * from listed
