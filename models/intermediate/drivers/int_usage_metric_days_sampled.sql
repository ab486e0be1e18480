{#- One row per day x service x metric of the good telemetry naming a service: whether the day is
    sampled (every row's sample_rate below 1), unsampled (none) or mixed, its quantity scaled up for
    sampling and the variance sampling leaves in it; what telemetry_sampling_bias compares. Kept
    day by day (day_ledger_config): a build sums again only the days it allocates (the usage
    fingerprint of int_days_fingerprinted covers every column of every good telemetry row). -#}
{{ config(**cost_per_customer.day_ledger_config()) }}
with

usage_rows as (

    select * from {{ ref('stg_telemetry__usage') }}
    where quarantine_reason is null
        and service_name is not null
        and {{ cost_per_customer.in_days_to_process('usage_date') }}

),

summed as (

    select
        usage_rows.usage_date as cost_date,
        usage_rows.service_name,
        usage_rows.metric,
        case
            when min(usage_rows.sample_rate) >= 1 then 'unsampled'
            when max(usage_rows.sample_rate) < 1 then 'sampled'
            else 'mixed'
        end as day_kind,
        sum(usage_rows.scaled_quantity) as quantity,
        sum(usage_rows.sampling_variance) as sampling_variance

    from usage_rows
    group by 1, 2, 3

)

select * from summed
