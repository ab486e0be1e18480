{#- One row per day this build allocates, with why: the changed days but those held back, and with --reprocess-from every day from its date. -#}
{%- set reprocess_from = cost_per_customer.reprocess_from() -%}
{#- The parse does not see --reprocess-from (macro setting): the ref it may need is declared. -#}
-- depends_on: {{ ref('int_days_fingerprinted') }}
with

changed as (

    select * from {{ ref('int_days_changed') }}

),

{%- if reprocess_from %}

current_days as (

    select * from {{ ref('int_days_fingerprinted') }}

),

{%- endif %}

to_process as (

    select
        changed.cost_date,
        changed.reprocess_reason

    from changed
    where not changed.is_held_back
    {%- if reprocess_from %}

    union all

    select
        current_days.cost_date,
        'reprocess from {{ reprocess_from }}' as reprocess_reason

    from current_days
    where current_days.cost_date >= cast('{{ reprocess_from }}' as date)
        and current_days.cost_date not in (select changed.cost_date from changed)
    {%- endif %}

)

select * from to_process
