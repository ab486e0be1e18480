{#- One row per usage-driven pool family (service x driver metric) x currency x month: the cost of
    one more unit of the driver, a Theil-Sen line through the family's daily cost against its daily
    driver volume over the trailing window that ends on the month's last day (docs/marginal_cost.md). -#}
{%- set window_days = var('cpc_marginal_window_days') | int -%}
{%- set min_days = var('cpc_marginal_min_days') | int -%}
{%- if window_days < 2 or min_days < 2 or min_days > window_days -%}
    {{ exceptions.raise_compiler_error(
        "marginal_cost_by_driver: cpc_marginal_window_days (" ~ window_days ~ ") and "
        ~ "cpc_marginal_min_days (" ~ min_days ~ ") must be at least 2, the minimum at most the window") }}
{%- endif %}
{%- set family = ['service_name', 'driver_metric', 'currency'] -%}
with

daily as (

    select
        daily_costs.*,
        {{ cost_per_customer.month_start('daily_costs.cost_date') }} as month,
        {{ cost_per_customer.day_number('daily_costs.cost_date') }} as day_number,
        cast(daily_costs.pool_cost as double) as cost_value,
        cast(daily_costs.driver_quantity as double) as volume

    from {{ ref('int_driver_costs_daily') }} as daily_costs

),

months as (

    select
        {%- for column in family %}
        daily.{{ column }},
        {%- endfor %}
        daily.month,
        max(daily.day_number) as window_end_day,
        max(daily.cost_date) as window_end_date,
        sum(daily.pool_cost) as month_cost,
        sum(daily.driver_quantity) as month_driver_quantity

    from daily
    group by 1, 2, 3, 4

),

{# Each month with the family's days of the window that ends on its last day. -#}
windows as (

    select
        months.*,
        daily.cost_date,
        daily.day_number,
        daily.cost_value,
        daily.volume

    from months
    inner join daily
        on {% for column in family %}months.{{ column }} = daily.{{ column }}
        and {% endfor %}months.window_end_day - {{ window_days }} < daily.day_number
        and months.window_end_day >= daily.day_number

),

{# Theil-Sen: the slope between every two days of the window whose volumes differ. -#}
pair_slopes as (

    select
        {%- for column in family %}
        earlier.{{ column }},
        {%- endfor %}
        earlier.month,
        (later.cost_value - earlier.cost_value) / (later.volume - earlier.volume) as pair_slope

    from windows as earlier
    inner join windows as later
        on {% for column in family %}earlier.{{ column }} = later.{{ column }}
        and {% endfor %}earlier.month = later.month
        and earlier.day_number < later.day_number
        and earlier.volume <> later.volume

),

slopes as (

    select
        {%- for column in family %}
        pair_slopes.{{ column }},
        {%- endfor %}
        pair_slopes.month,
        {{ cost_per_customer.percentile_cont('pair_slopes.pair_slope', 0.5) }} as marginal_unit_cost

    from pair_slopes
    group by 1, 2, 3, 4

),

window_stats as (

    select
        {%- for column in family %}
        windows.{{ column }},
        {%- endfor %}
        windows.month,
        min(windows.cost_date) as window_start_date,
        count(*) as window_days,
        avg(windows.cost_value) as mean_daily_cost,
        avg(windows.volume) as mean_daily_volume,
        stddev_samp(windows.volume) as volume_stddev,
        {{ cost_per_customer.percentile_cont('windows.cost_value', 0.5) }} as median_daily_cost,
        {{ cost_per_customer.percentile_cont('windows.cost_value - coalesce(slopes.marginal_unit_cost, 0) * windows.volume', 0.5) }}
            as fixed_cost_daily

    from windows
    left join slopes
        on {% for column in family %}windows.{{ column }} = slopes.{{ column }}
        and {% endfor %}windows.month = slopes.month
    group by 1, 2, 3, 4

),

{# How well the line fits, robustly: the median absolute residual against the median absolute
    deviation of the cost, so that an outlier day moves neither. -#}
fit as (

    select
        {%- for column in family %}
        windows.{{ column }},
        {%- endfor %}
        windows.month,
        {{ cost_per_customer.percentile_cont('abs(windows.cost_value - window_stats.median_daily_cost)', 0.5) }}
            as median_absolute_deviation,
        {{ cost_per_customer.percentile_cont(
            'abs(windows.cost_value - window_stats.fixed_cost_daily - coalesce(slopes.marginal_unit_cost, 0) * windows.volume)', 0.5
        ) }} as median_absolute_residual

    from windows
    inner join window_stats
        on {% for column in family %}windows.{{ column }} = window_stats.{{ column }}
        and {% endfor %}windows.month = window_stats.month
    left join slopes
        on {% for column in family %}windows.{{ column }} = slopes.{{ column }}
        and {% endfor %}windows.month = slopes.month
    group by 1, 2, 3, 4

),

estimated as (

    select
        months.*,
        window_stats.window_start_date,
        window_stats.window_days,
        window_stats.mean_daily_cost,
        window_stats.mean_daily_volume,
        case when window_stats.mean_daily_volume > 0
            then coalesce(window_stats.volume_stddev, 0) / window_stats.mean_daily_volume end as volume_variation,
        slopes.marginal_unit_cost,
        window_stats.fixed_cost_daily,
        window_stats.fixed_cost_daily + slopes.marginal_unit_cost * window_stats.mean_daily_volume as fitted_daily_cost,
        case when fit.median_absolute_deviation > 0
            then 1 - power(fit.median_absolute_residual / fit.median_absolute_deviation, 2) end as robust_r_squared,
        fit.median_absolute_residual

    from months
    inner join window_stats
        on {% for column in family %}months.{{ column }} = window_stats.{{ column }}
        and {% endfor %}months.month = window_stats.month
    inner join fit
        on {% for column in family %}months.{{ column }} = fit.{{ column }}
        and {% endfor %}months.month = fit.month
    left join slopes
        on {% for column in family %}months.{{ column }} = slopes.{{ column }}
        and {% endfor %}months.month = slopes.month

),

{# The first reason that applies, in the order of the docs. -#}
judged as (

    select
        estimated.*,
        case
            when estimated.window_days < {{ min_days }} then 'too_few_days'
            when estimated.marginal_unit_cost is null
                or estimated.volume_variation < {{ var('cpc_marginal_min_variation') }} then 'too_little_variation'
            when estimated.marginal_unit_cost < 0 then 'negative_slope'
            when estimated.robust_r_squared is null then 'cost_does_not_vary'
            when estimated.robust_r_squared < {{ var('cpc_marginal_min_r_squared') }} then 'poor_fit'
        end as unreliable_reason

    from estimated

),

final as (

    select
        judged.service_name,
        judged.driver_metric,
        judged.currency,
        judged.unreliable_reason,
        judged.window_days,
        cast(judged.month_cost as {{ cost_per_customer.money_type() }}) as month_cost,
        cast(judged.month_driver_quantity as double) as month_driver_quantity,
        case when judged.month_driver_quantity > 0
            then cast(judged.month_cost as double) / cast(judged.month_driver_quantity as double) end as average_unit_cost,
        judged.marginal_unit_cost,
        judged.fixed_cost_daily,
        judged.mean_daily_cost,
        judged.mean_daily_volume,
        case when judged.fitted_daily_cost <> 0 then judged.fixed_cost_daily / judged.fitted_daily_cost end as fixed_cost_share,
        case when judged.fitted_daily_cost <> 0
            then judged.marginal_unit_cost * judged.mean_daily_volume / judged.fitted_daily_cost end as variable_cost_share,
        judged.robust_r_squared,
        case when judged.mean_daily_cost <> 0
            then judged.median_absolute_residual / abs(judged.mean_daily_cost) end as relative_median_residual,
        judged.volume_variation,
        judged.unreliable_reason is null as is_reliable,
        judged.month,
        judged.window_start_date,
        judged.window_end_date

    from judged

)

select * from final
