{#- One row per service x metric x day on which its telemetry starts or stops being sampled: the
    mean daily quantity of the days just before and just after (sampled rows scaled up by
    1 / sample_rate), their ratio, and whether they differ beyond cpc_sampling_bias_tolerance; see
    _quality__models.yml. -#}
{%- set window_days = var('cpc_sampling_bias_window_days') -%}
with

metric_days as (

    select * from {{ ref('int_usage_metric_days_sampled') }}

),

{# Each day of a service's metric (sampled, unsampled or mixed) numbered, to find the day before. -#}
days as (

    select
        metric_days.cost_date as usage_date,
        {{ cost_per_customer.day_number('metric_days.cost_date') }} as day_number,
        metric_days.service_name,
        metric_days.metric,
        metric_days.day_kind,
        metric_days.quantity,
        metric_days.sampling_variance

    from metric_days

),

{# A switch: a sampled day after an unsampled one, or the other way round. -#}
switches as (

    select
        days.usage_date as switch_date,
        days.day_number as switch_day_number,
        days.service_name,
        days.metric,
        days.day_kind as kind_after,
        previous_days.day_kind as kind_before

    from days
    inner join days as previous_days
        on days.service_name = previous_days.service_name
        and days.metric = previous_days.metric
        and days.day_number = previous_days.day_number + 1
    where days.day_kind <> previous_days.day_kind
        and days.day_kind <> 'mixed'
        and previous_days.day_kind <> 'mixed'

),

{# The days of each side of a switch (up to cpc_sampling_bias_window_days each), while they keep
    the side's kind. -#}
sides as (

    select
        switches.switch_date,
        switches.service_name,
        switches.metric,
        switches.kind_after,
        window_days.day_kind,
        window_days.quantity,
        window_days.sampling_variance

    from switches
    inner join days as window_days
        on switches.service_name = window_days.service_name
        and switches.metric = window_days.metric
        and switches.switch_day_number - {{ window_days }} <= window_days.day_number
        and switches.switch_day_number + {{ window_days }} > window_days.day_number
        and case
            when switches.switch_day_number > window_days.day_number then switches.kind_before
            else switches.kind_after
        end = window_days.day_kind

),

compared as (

    select
        sides.switch_date,
        sides.service_name,
        sides.metric,
        case when sides.kind_after = 'sampled' then 'sampling_started' else 'sampling_stopped' end as switch_kind,
        count(case when sides.day_kind = 'unsampled' then 1 end) as unsampled_days,
        count(case when sides.day_kind = 'sampled' then 1 end) as sampled_days,
        avg(case when sides.day_kind = 'unsampled' then cast(sides.quantity as double) end) as unsampled_mean_quantity,
        avg(case when sides.day_kind = 'sampled' then cast(sides.quantity as double) end) as sampled_mean_quantity,
        sum(case when sides.day_kind = 'sampled' then sides.sampling_variance end) as sampled_variance,
        sum(case when sides.day_kind = 'sampled' then cast(sides.quantity as double) end) as sampled_quantity

    from sides
    group by 1, 2, 3, 4

),

flagged as (

    select
        compared.switch_date,
        compared.service_name,
        compared.metric,
        compared.switch_kind,
        compared.unsampled_days,
        compared.sampled_days,
        compared.unsampled_mean_quantity,
        compared.sampled_mean_quantity,
        compared.sampled_mean_quantity / compared.unsampled_mean_quantity as sampled_to_unsampled_ratio,
        case
            when compared.sampled_quantity > 0 then 1.96 * sqrt(compared.sampled_variance) / compared.sampled_quantity
        end as sampling_error_ratio,
        abs(compared.sampled_mean_quantity / compared.unsampled_mean_quantity - 1) > {{ var('cpc_sampling_bias_tolerance') }} as is_biased

    from compared
    where compared.unsampled_mean_quantity > 0

)

select * from flagged
