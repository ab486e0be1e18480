{#- One row per day whose inputs changed since it was allocated (every day on a full build), with why, and whether its late telemetry is held back. -#}
{%- set inputs = cost_per_customer.day_fingerprint_inputs() -%}
{%- set recorded_node = graph.nodes.get('model.' ~ project_name ~ '.int_days_processed') if execute and flags.INTROSPECT else none -%}
{%- set recorded = adapter.get_relation(
    database=recorded_node.database, schema=recorded_node.schema, identifier=recorded_node.alias
) if recorded_node else none -%}
{%- set changed_only = recorded is not none and cost_per_customer.can_process_changed_days_only() -%}
{%- if changed_only -%}
    {%- set recorded_columns = adapter.get_columns_in_relation(recorded) | map(attribute='name') | map('lower') | list -%}
    {%- for input in inputs if (input ~ '_fingerprint') not in recorded_columns -%}
        {{ exceptions.raise_compiler_error(
            "int_days_processed: source and target schemas on this incremental model are out of sync (the warehouse's record of "
            ~ "the days allocated has no " ~ input ~ "_fingerprint: it was built by an earlier version of the project)") }}
    {%- endfor -%}
{%- endif -%}
with

current_days as (

    select * from {{ ref('int_days_fingerprinted') }}

),

{%- if changed_only %}

{# The fingerprints of the days the warehouse holds, as the build that allocated them saw them. -#}
recorded_days as (

    select * from {{ recorded }}

),

compared as (

    select
        coalesce(current_days.cost_date, recorded_days.cost_date) as cost_date,
        case
            when recorded_days.cost_date is null then 'new day'
            when current_days.cost_date is null then 'no input left'
            {%- for input in inputs %}
            when current_days.{{ input }}_fingerprint <> recorded_days.{{ input }}_fingerprint then '{{ input }} changed'
            {%- endfor %}
        end as reprocess_reason

    from current_days
    full outer join recorded_days
        on current_days.cost_date = recorded_days.cost_date

),

{# The lookback window: telemetry that changed on a day more than lookback_days before the input's
    latest day is held back (int_days_held_back), unless --reprocess-from reaches the day. -#}
latest_day as (

    select max(current_days.cost_date) as cost_date
    from current_days

),

changed as (

    select
        compared.cost_date,
        compared.reprocess_reason,
        (
            compared.reprocess_reason = 'usage changed'
            and {{ cost_per_customer.days_between('compared.cost_date', 'latest_day.cost_date') }} > {{ cost_per_customer.setting('cpc_lookback_days') }}
            {%- if cost_per_customer.reprocess_from() %}
            and compared.cost_date < cast('{{ cost_per_customer.reprocess_from() }}' as date)
            {%- endif %}
        ) as is_held_back

    from compared
    cross join latest_day
    where compared.reprocess_reason is not null

)

{%- else %}

changed as (

    select
        current_days.cost_date,
        '{{ "full refresh" if flags.FULL_REFRESH else "full build" }}' as reprocess_reason,
        false as is_held_back

    from current_days

)

{%- endif %}

select * from changed
