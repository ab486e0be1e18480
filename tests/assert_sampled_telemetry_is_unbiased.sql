{{ config(severity='warn') }}
{#- Sampled telemetry keeps the rate it declares: where a service's metric starts or stops being
    sampled, the days after look like the days before (telemetry_sampling_bias). A warning, not an
    error: the cost is still allocated by the telemetry as delivered; the rows returned are the
    switches to look at. -#}
select
    sampling_checks.switch_date,
    sampling_checks.service_name,
    sampling_checks.metric,
    sampling_checks.switch_kind,
    sampling_checks.sampled_to_unsampled_ratio
from {{ ref('telemetry_sampling_bias') }} as sampling_checks
where sampling_checks.is_biased
