{#- One row per landed telemetry record, typed, with the reason it must be quarantined (NULL if good).
    A sampled record (sample_rate below 1: the telemetry kept that fraction of the events) is scaled
    up by 1 / sample_rate; its sampling variance treats the kept quantity as a count of kept events
    (see docs/telemetry.md). -#}
with

source_rows as (

    select * from {{ source('telemetry', 'usage') }}

),

typed as (

    select
        source_rows._decimal_mark,
        source_rows._source_file as source_file,
        source_rows._source_row as source_row,
        {{ cost_per_customer.clean_text('customer_id') }} as customer_id,
        lower({{ cost_per_customer.clean_text('metric') }}) as metric,
        {{ cost_per_customer.clean_text('service_name') }} as service_name,
        {{ cost_per_customer.clean_text('resource_id') }} as resource_id,
        {{ cost_per_customer.clean_text('region_id') }} as region_id,
        {{ cost_per_customer.clean_text('sub_account_id') }} as sub_account_id,
        {{ cost_per_customer.clean_text('feature') }} as feature,
        source_rows.quantity as quantity_raw,
        source_rows.usage_date as usage_date_raw,
        source_rows.sample_rate as sample_rate_raw,
        {{ cost_per_customer.parse_decimal('quantity') }} as quantity,
        {{ cost_per_customer.parse_decimal('sample_rate') }} as sample_rate_given,
        {{ cost_per_customer.parse_date('usage_date') }} as usage_date

    from source_rows

),

classified as (

    select
        typed.*,
        case
            when typed.usage_date is null then 'unparseable usage_date'
            when typed.metric is null then 'missing metric'
            when typed.quantity is null
                then concat(
                    'unparseable quantity',
                    {{ cost_per_customer.decimal_problem('typed.quantity_raw', 'typed._decimal_mark') }}
                )
            when typed.quantity < 0 then 'negative quantity'
            when {{ cost_per_customer.clean_text('typed.sample_rate_raw') }} is not null and typed.sample_rate_given is null
                then concat(
                    'unparseable sample_rate',
                    {{ cost_per_customer.decimal_problem('typed.sample_rate_raw', 'typed._decimal_mark') }}
                )
            when typed.sample_rate_given <= 0 or typed.sample_rate_given > 1 then 'sample_rate outside (0, 1]'
        end as quarantine_reason

    from typed

),

{# A record without sample_rate is unsampled (rate 1); an unreadable one has none. -#}
rated as (

    select
        classified.*,
        case
            when {{ cost_per_customer.clean_text('classified.sample_rate_raw') }} is null then 1
            else classified.sample_rate_given
        end as sample_rate

    from classified

),

scaled as (

    select
        rated.*,
        {#- Multiplied by the rate's reciprocal as a decimal, so that a rate such as 0.25 or 0.5 scales
            exactly (a division would go through a double on DuckDB). #}
        case
            when rated.quarantine_reason is not null then null
            when rated.sample_rate = 1 then rated.quantity
            else cast(rated.quantity * cast(1 / rated.sample_rate as decimal(28, 10)) as {{ cost_per_customer.money_type() }})
        end as scaled_quantity,
        case
            when rated.quarantine_reason is null
                then cast(rated.quantity as double) * (1 - cast(rated.sample_rate as double))
                / (cast(rated.sample_rate as double) * cast(rated.sample_rate as double))
        end as sampling_variance

    from rated

)

select * from scaled
