{#- One row per currency per UTC day with a usable rate into the reporting currency; see _currency__models.yml. -#}
{%- set max_gap_days = cost_per_customer.fx_max_gap_days() -%}
with

{# The reporting currency is left out: fx_rate_or_one converts it at 1 on every day. -#}
rates as (

    select * from {{ ref('stg_finance__fx_rates') }}
    where quarantine_reason is null
        and currency <> '{{ cost_per_customer.reporting_currency() }}'

),

{# One rate per currency and published day (exact repeats collapse; conflicting ones were quarantined). -#}
published as (

    select
        rates.currency,
        rates.rate_date,
        min(rates.fx_rate) as fx_rate

    from rates
    group by rates.currency, rates.rate_date

),

{# A published rate holds from its day until the next published day of the currency, for at most
    fx_max_gap_days further days: [rate_date, least(next rate_date, rate_date + gap + 1)). -#}
validity as (

    select
        published.currency,
        published.rate_date,
        published.fx_rate,
        {{ cost_per_customer.day_start('published.rate_date') }} as valid_from_at,
        least(
            coalesce(
                {{ cost_per_customer.day_start(
                    'lead(published.rate_date) over (partition by published.currency order by published.rate_date)'
                ) }},
                {{ cost_per_customer.day_start('published.rate_date', max_gap_days + 1) }}
            ),
            {{ cost_per_customer.day_start('published.rate_date', max_gap_days + 1) }}
        ) as valid_to_at

    from published

),

days as (

    select
        validity.currency,
        validity.rate_date,
        validity.fx_rate,
        {{ cost_per_customer.explode_days('validity.valid_from_at', 'validity.valid_to_at') }} as cost_date

    from validity

),

aged as (

    select
        days.currency,
        days.cost_date,
        days.fx_rate,
        days.rate_date,
        {{ cost_per_customer.days_between('days.rate_date', 'days.cost_date') }} as rate_age_days

    from days

)

select * from aged
