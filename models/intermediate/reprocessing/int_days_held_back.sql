{#- One row per day whose telemetry changed outside the lookback window: not allocated again until cpc build --reprocess-from. -#}
with

changed as (

    select * from {{ ref('int_days_changed') }}

),

held_back as (

    select
        changed.cost_date,
        changed.reprocess_reason

    from changed
    where changed.is_held_back

)

select * from held_back
