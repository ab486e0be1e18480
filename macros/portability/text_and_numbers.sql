{#- Cleaning raw text and parsing numbers and timestamps out of it. Every landed column is text;
    staging calls these so that a bad value becomes NULL (and is quarantined), never an error. -#}

{% macro money_type() -%}
    {{ return(adapter.dispatch('money_type', 'cost_per_customer')()) }}
{%- endmacro %}
{% macro default__money_type() -%}decimal(38, 10){%- endmacro %}


{% macro clean_text(column) -%}
    {{ return(adapter.dispatch('clean_text', 'cost_per_customer')(column)) }}
{%- endmacro %}
{% macro default__clean_text(column) -%}
    case
        when trim({{ column }}) = '' or lower(trim({{ column }})) in ('null', 'none', 'nan') then null
        else trim({{ column }})
    end
{%- endmacro %}


{#- Money and quantities: tolerate "$10,000.00 ", thousands separators and exponents. -#}
{% macro parse_decimal(column) -%}
    {{ return(adapter.dispatch('parse_decimal', 'cost_per_customer')(column)) }}
{%- endmacro %}
{% macro default__parse_decimal(column) -%}
    {%- set stripped = "replace(replace(replace(" ~ cost_per_customer.clean_text(column) ~ ", '$', ''), ',', ''), ' ', '')" -%}
    coalesce(
        try_cast({{ stripped }} as {{ cost_per_customer.money_type() }}),
        try_cast(try_cast({{ stripped }} as double) as {{ cost_per_customer.money_type() }})
    )
{%- endmacro %}


{#- Timestamps to naive UTC: ISO 8601 with or without T and Z or an offset, plain dates, and the
    US month/day/year forms (5/1/25, 5/1/2025) seen in published examples. Impossible values -> NULL. -#}
{% macro parse_timestamp(column) -%}
    {{ return(adapter.dispatch('parse_timestamp', 'cost_per_customer')(column)) }}
{%- endmacro %}
{% macro default__parse_timestamp(column) -%}
    {%- set value = cost_per_customer.clean_text(column) -%}
    case
        when {{ value }} like '%/%'
            then try_strptime({{ value }}, ['%m/%d/%y', '%m/%d/%Y', '%m/%d/%Y %H:%M', '%m/%d/%Y %H:%M:%S'])
        else timezone('UTC', try_cast({{ value }} as timestamptz))
    end
{%- endmacro %}
{% macro spark__parse_timestamp(column) -%}
    {#- The value is written once and bound to ts_text (each format would otherwise repeat it, and
        Spark's metastore caps a view's SQL text). BigQuery writes '2024-01-01 00:00:00 UTC';
        DuckDB reads that suffix, Spark's patterns need 'Z'. -#}
    transform(array(regexp_replace({{ cost_per_customer.clean_text(column) }}, ' UTC$', 'Z')), ts_text -> coalesce(
        {%- for fmt in ["yyyy-MM-dd'T'HH:mm:ss[.SSSSSS]XXX", "yyyy-MM-dd'T'HH:mm:ss[.SSSSSS]X", "yyyy-MM-dd HH:mm:ss[.SSSSSS]XXX",
                        "yyyy-MM-dd'T'HH:mm:ss[.SSSSSS]", "yyyy-MM-dd HH:mm:ss[.SSSSSS]", "yyyy-MM-dd'T'HH:mm[X]", "yyyy-MM-dd",
                        "M/d/yy", "M/d/yyyy", "M/d/yyyy H:mm", "M/d/yyyy H:mm:ss"] %}
        try_to_timestamp(ts_text, "{{ fmt }}"){{ "," if not loop.last }}
        {%- endfor %}
    ))[0]
{%- endmacro %}


{% macro parse_date(column) -%}
    {{ return(adapter.dispatch('parse_date', 'cost_per_customer')(column)) }}
{%- endmacro %}
{% macro default__parse_date(column) -%}
    cast({{ cost_per_customer.parse_timestamp(column) }} as date)
{%- endmacro %}


{#- First day of the month of a date or timestamp, as a date. -#}
{% macro month_start(column) -%}
    {{ return(adapter.dispatch('month_start', 'cost_per_customer')(column)) }}
{%- endmacro %}
{% macro default__month_start(column) -%}
    cast(date_trunc('month', {{ column }}) as date)
{%- endmacro %}
{% macro spark__month_start(column) -%}
    trunc(cast({{ column }} as date), 'MM')
{%- endmacro %}


{#- 'YYYY-MM' (or a full date) to the first day of that month. -#}
{% macro parse_month(column) -%}
    {{ return(adapter.dispatch('parse_month', 'cost_per_customer')(column)) }}
{%- endmacro %}
{% macro default__parse_month(column) -%}
    {%- set value = cost_per_customer.clean_text(column) -%}
    {{ cost_per_customer.month_start(
        "coalesce(" ~ cost_per_customer.parse_date("concat(" ~ value ~ ", '-01')") ~ ", " ~ cost_per_customer.parse_date(value) ~ ")"
    ) }}
{%- endmacro %}


{#- Whole seconds from start to end. -#}
{% macro seconds_between(start_at, end_at) -%}
    {{ return(adapter.dispatch('seconds_between', 'cost_per_customer')(start_at, end_at)) }}
{%- endmacro %}
{% macro default__seconds_between(start_at, end_at) -%}
    date_diff('second', {{ start_at }}, {{ end_at }})
{%- endmacro %}
{% macro spark__seconds_between(start_at, end_at) -%}
    (unix_timestamp({{ end_at }}) - unix_timestamp({{ start_at }}))
{%- endmacro %}


{#- One row per UTC day touched by [start_at, end_at): a set-returning select-list expression
    (a zero-length period yields its start day). -#}
{% macro explode_days(start_at, end_at) -%}
    {{ return(adapter.dispatch('explode_days', 'cost_per_customer')(start_at, end_at)) }}
{%- endmacro %}
{% macro default__explode_days(start_at, end_at) -%}
    cast(unnest(generate_series(
        cast({{ start_at }} as date),
        {{ cost_per_customer.period_last_day(start_at, end_at) }},
        interval 1 day
    )) as date)
{%- endmacro %}
{% macro spark__explode_days(start_at, end_at) -%}
    explode(sequence(
        cast({{ start_at }} as date),
        {{ cost_per_customer.period_last_day(start_at, end_at) }},
        interval 1 day
    ))
{%- endmacro %}


{#- A day plus n days, as a timestamp at midnight. -#}
{% macro day_start(day_column, plus_days=0) -%}
    {{ return(adapter.dispatch('day_start', 'cost_per_customer')(day_column, plus_days)) }}
{%- endmacro %}
{% macro default__day_start(day_column, plus_days=0) -%}
    cast({{ day_column }} + interval {{ plus_days }} day as timestamp)
{%- endmacro %}
{% macro spark__day_start(day_column, plus_days=0) -%}
    cast(date_add({{ day_column }}, {{ plus_days }}) as timestamp)
{%- endmacro %}


{#- A stable text key from several columns (NULL-safe). -#}
{% macro hash_key(columns) -%}
    {{ return(adapter.dispatch('hash_key', 'cost_per_customer')(columns)) }}
{%- endmacro %}
{% macro default__hash_key(columns) -%}
    md5(concat_ws('|'
    {%- for column in columns %}, coalesce(cast({{ column }} as {{ dbt.type_string() }}), '~')
    {%- endfor %}))
{%- endmacro %}


{#- Continuous percentile of a numeric column (as double). -#}
{% macro percentile_cont(column, fraction) -%}
    {{ return(adapter.dispatch('percentile_cont', 'cost_per_customer')(column, fraction)) }}
{%- endmacro %}
{% macro default__percentile_cont(column, fraction) -%}
    quantile_cont(cast({{ column }} as double), {{ fraction }})
{%- endmacro %}
{% macro spark__percentile_cont(column, fraction) -%}
    percentile(cast({{ column }} as double), {{ fraction }})
{%- endmacro %}


{#- The last UTC day a charge period [start_at, end_at) touches (its start day when it is empty). -#}
{% macro period_last_day(start_at, end_at) -%}
    {{ return(adapter.dispatch('period_last_day', 'cost_per_customer')(start_at, end_at)) }}
{%- endmacro %}
{% macro default__period_last_day(start_at, end_at) -%}
    cast(greatest({{ start_at }}, {{ end_at }} - interval 1 microsecond) as date)
{%- endmacro %}


{#- An amount times a fraction (a double: an overlap share, an allocation share), back in the money
    type. The product is taken in double precision (a ratio is not money; DuckDB and Spark type
    decimal x double differently) and rounded to money_type's scale. -#}
{% macro scale_money(amount, fraction) -%}
    {{ return(adapter.dispatch('scale_money', 'cost_per_customer')(amount, fraction)) }}
{%- endmacro %}
{% macro default__scale_money(amount, fraction) -%}
    cast(cast({{ amount }} as double) * ({{ fraction }}) as {{ cost_per_customer.money_type() }})
{%- endmacro %}


{#- The part of an amount accrued at a fraction of its period: nothing at 0, exactly the amount at 1,
    the rounded product in between. Differences of accrued amounts telescope, so prorated pieces
    add up to the amount exactly. -#}
{% macro accrued_money(amount, fraction) -%}
    {{ return(adapter.dispatch('accrued_money', 'cost_per_customer')(amount, fraction)) }}
{%- endmacro %}
{% macro default__accrued_money(amount, fraction) -%}
    case
        when {{ fraction }} >= 1 then {{ amount }}
        when {{ fraction }} <= 0 then cast(0 as {{ cost_per_customer.money_type() }})
        else {{ cost_per_customer.scale_money(amount, fraction) }}
    end
{%- endmacro %}
