{#- One row per billing format, billing account and billing period; see _finance__models.yml. -#}
with

charges as (

    select * from {{ ref('int_charges_deduplicated') }}

),

periods as (

    select
        charges.billing_format,
        charges.stream_account_id as billing_account_id,
        charges.stream_period_start as billing_period_start_date,
        max(case when charges.superseded_reason is null then charges.delivery_id end) as delivery_id,
        max(case when charges.superseded_reason is null then charges.delivered_at end) as delivered_at,
        count(distinct charges.delivery_id) as delivery_count,
        cast(sum(case when charges.superseded_reason is null then 1 else 0 end) as bigint) as counted_rows,
        cast(sum(case when charges.superseded_reason is not null then 1 else 0 end) as bigint) as superseded_rows,
        cast(
            sum(case when charges.superseded_reason is null and charges.quarantine_reason is not null then 1 else 0 end) as bigint
        ) as quarantined_rows,
        sum(case when charges.superseded_reason is null then charges.effective_cost end) as effective_cost,
        sum(case when charges.superseded_reason is null then charges.billed_cost end) as billed_cost,
        min(case when charges.superseded_reason is null then charges.billing_currency end) as currency,
        max(case when charges.superseded_reason is null and charges.invoice_id is not null then 1 else 0 end) = 1 as has_invoice_id

    from charges
    group by charges.billing_format, charges.stream_account_id, charges.stream_period_start

),

with_next_period as (

    select
        periods.*,
        lead(periods.billing_period_start_date) over (
            partition by periods.billing_format, periods.billing_account_id
            order by periods.billing_period_start_date
        ) as next_period_start_date

    from periods

),

with_status as (

    select
        with_next_period.*,
        case
            when with_next_period.has_invoice_id or with_next_period.next_period_start_date is not null then 'final'
            else 'estimated'
        end as period_status

    from with_next_period

)

select * from with_status
