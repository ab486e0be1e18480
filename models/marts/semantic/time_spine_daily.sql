{#- One row per UTC day from cpc_time_spine_start_date to cpc_time_spine_end_date: MetricFlow's
    time spine; see _semantic__models.yml. -#}
with

days as (

    select
        {{ cost_per_customer.explode_days(
            "cast('" ~ var('cpc_time_spine_start_date') ~ "' as timestamp)",
            "cast('" ~ var('cpc_time_spine_end_date') ~ "' as timestamp)"
        ) }} as date_day

),

final as (

    select cast(days.date_day as date) as date_day
    from days

)

select * from final
