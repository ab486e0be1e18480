{#- Month-by-month incremental marts: a mart that sums the ledger by month keeps the months no day
    of which this build allocates, and sums the others again (see docs/incremental.md). A month is
    summed again whole, its kept days included, so only the marts whose rows depend on nothing but
    the month's days of the ledger (kept whole by day_ledger_config) may use this. -#}

{#- The config of a mart that keeps every month: like day_ledger_config, by its `month` column.
    DuckDB deletes the rows of the months to process (pre-hook clear_months_to_process), then
    inserts them again; on Spark each month is a partition, dropped and written again. Any other
    engine rebuilds the table whole. -#}
{% macro month_ledger_config() -%}
    {{ return(cost_per_customer.kept_ledger_config('month', '{{ cost_per_customer.clear_months_to_process() }}')) }}
{%- endmacro %}


{#- The first days of the months that hold a day this build allocates (int_days_to_process), as
    a subquery. -#}
{% macro months_to_process() -%}
    select distinct {{ cost_per_customer.month_start('days_to_process.cost_date') }} as month
    from {{ ref('int_days_to_process') }} as days_to_process
{%- endmacro %}


{#- The pre-hook of a mart that keeps every month (month_ledger_config), on an incremental run:
    remove the months this build sums again. -#}
{% macro clear_months_to_process() -%}
    {%- if is_incremental() -%}
        {{ return(adapter.dispatch('clear_months_to_process', 'cost_per_customer')()) }}
    {%- endif -%}
    {{ return('select 1') }}
{%- endmacro %}

{% macro default__clear_months_to_process() -%}
    delete from {{ this }}
    where month in ({{ cost_per_customer.months_to_process() }})
{%- endmacro %}

{#- Spark overwrites the partitions of the months the run writes; a month left without any row
    would keep its old one, so every month to process is dropped first. -#}
{% macro spark__clear_months_to_process() -%}
    {{ return(cost_per_customer.spark_drop_partitions(
        'month', "select cast(month as string) from (" ~ cost_per_customer.months_to_process() ~ ") as months")) }}
{%- endmacro %}
