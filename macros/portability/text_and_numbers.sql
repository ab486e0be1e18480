{#- Cleaning raw text and parsing numbers and timestamps out of it. Every landed column is text;
    staging calls these so that a bad value becomes NULL (and is quarantined), never an error. -#}

{% macro money_type() -%}
    {{ return(adapter.dispatch('money_type', 'cost_per_customer')()) }}
{%- endmacro %}
{% macro default__money_type() -%}decimal(38, 10){%- endmacro %}


{#- A staging model's cleaning CTE(s): `from_cte` with the columns `keep` as they are and each
    landed column of `texts` (a mapping: output name -> landed column) cleaned once (clean_text).
    The last CTE is named `as_cte`. On Spark the cleaning is written once for all the columns (over
    an array of them), since Spark's metastore caps a view's SQL text. -#}
{% macro clean_columns(from_cte, texts, keep=[], as_cte='cleaned') -%}
    {{ return(adapter.dispatch('clean_columns', 'cost_per_customer')(from_cte, texts, keep, as_cte)) }}
{%- endmacro %}
{% macro default__clean_columns(from_cte, texts, keep, as_cte) -%}
{{ as_cte }} as (

    select
        {%- for column in keep %}
        {{ from_cte }}.{{ column }},
        {%- endfor %}
        {%- for name, column in texts.items() %}
        {{ cost_per_customer.clean_text(from_cte ~ '.' ~ column) }} as {{ name }}{{ "," if not loop.last }}
        {%- endfor %}

    from {{ from_cte }}

)
{%- endmacro %}
{% macro spark__clean_columns(from_cte, texts, keep, as_cte) -%}
{{ as_cte }}__texts as (

    select
        {%- for column in keep %}
        {{ from_cte }}.{{ column }},
        {%- endfor %}
        transform(
            array({{ texts.values() | join(', ') }}),
            landed_text -> {{ cost_per_customer.clean_text('landed_text') }}
        ) as {{ as_cte }}__values

    from {{ from_cte }}

),

{{ as_cte }} as (

    select
        {%- for column in keep %}
        {{ column }},
        {%- endfor %}
        {%- for name in texts %}
        {{ as_cte }}__values[{{ loop.index0 }}] as {{ name }}{{ "," if not loop.last }}
        {%- endfor %}

    from {{ as_cte }}__texts

)
{%- endmacro %}


{#- Money and quantities, read exactly or not at all. A value may carry a currency sign ($, €, £)
    and a sign, an exponent, and digit grouping in threes ("1,000.50", "1.000,50", "1 000,50"). The
    decimal mark is the file's: `decimal_mark` names a column (landed with every row, see
    cpc.conventions) or a quoted literal holding 'point' or 'comma'. Any other value there
    ('unproven': nothing in the file shows its decimal mark; 'mixed': the file shows both) reads a
    value only when it has one reading: "10,5" is 10.5, but "1,000" (1000 or 1) is NULL. A value
    that does not fit its file's mark is NULL, so the row is quarantined, never misread. -#}
{% macro parse_decimal(column, decimal_mark='_decimal_mark') -%}
    {{ return(adapter.dispatch('parse_decimal', 'cost_per_customer')(column, decimal_mark)) }}
{%- endmacro %}

{#- The two shapes a number may take (regular expressions over the text without currency signs):
    grouping separators only in threes after a first group of 1-3 digits that is not 0. -#}
{% macro decimal_point_pattern() -%}
    ^[+-]?([0-9]+|[1-9][0-9]{0,2}([, ][0-9]{3})+)?([.][0-9]*)?([eE][+-]?[0-9]+)?$
{%- endmacro %}
{% macro decimal_comma_pattern() -%}
    ^[+-]?([0-9]+|[1-9][0-9]{0,2}([. ][0-9]{3})+)?(,[0-9]*)?([eE][+-]?[0-9]+)?$
{%- endmacro %}

{#- The number text without currency signs, trimmed (an expression over a cleaned column). -#}
{% macro number_text(cleaned) -%}
    trim(replace(replace(replace({{ cleaned }}, '$', ''), '€', ''), '£', ''))
{%- endmacro %}

{#- Plain number text (digits, sign, point, exponent) from number text, by the decimal mark; NULL
    when the text does not fit its file's mark or reads two ways. `number_text` is a column name
    (or a lambda's bound name); `fits_point` / `fits_comma` say whether it fits either pattern
    (column names, or the regex_full_match expressions over a bound name). -#}
{% macro plain_number_text(number_text, fits_point, fits_comma, decimal_mark) -%}
    {%- set as_point = "replace(replace(" ~ number_text ~ ", ',', ''), ' ', '')" -%}
    {%- set as_comma = "replace(replace(replace(" ~ number_text ~ ", '.', ''), ' ', ''), ',', '.')" -%}
    case
        when {{ decimal_mark }} = 'point' then case when {{ fits_point }} then {{ as_point }} end
        when {{ decimal_mark }} = 'comma' then case when {{ fits_comma }} then {{ as_comma }} end
        when {{ fits_point }} and {{ fits_comma }}
            then case when not (contains({{ number_text }}, '.') or contains({{ number_text }}, ',')) then {{ as_point }} end
        when {{ fits_point }} then {{ as_point }}
        when {{ fits_comma }} then {{ as_comma }}
    end
{%- endmacro %}

{#- The same reading over a name bound in a lambda, for the one-expression parse_decimal. -#}
{% macro bound_plain_number_text(text, decimal_mark) -%}
    {{ cost_per_customer.plain_number_text(
        text,
        cost_per_customer.regex_full_match(text, cost_per_customer.decimal_point_pattern()),
        cost_per_customer.regex_full_match(text, cost_per_customer.decimal_comma_pattern()),
        decimal_mark
    ) }}
{%- endmacro %}

{% macro default__parse_decimal(column, decimal_mark) -%}
    {#- Most values are plain numbers in decimal-point files: those take the direct cast (an
        underscore, which the cast would accept as a digit separator, goes the strict way). -#}
    {%- set cleaned = cost_per_customer.clean_text(column) -%}
    {%- set direct = "try_cast(" ~ cleaned ~ " as " ~ cost_per_customer.money_type() ~ ")" -%}
    {#- A CASE, not COALESCE: DuckDB evaluates a CASE branch only for the rows that reach it. -#}
    case
        when {{ cleaned }} is null then null
        when {{ decimal_mark }} = 'point' and {{ direct }} is not null and not contains({{ cleaned }}, '_') then {{ direct }}
        {#- the rest: the text bound once to number_text, its plain form to plain_text. -#}
        else list_transform(
            list_transform([{{ cost_per_customer.number_text(cleaned) }}], lambda number_text:
                {{ cost_per_customer.bound_plain_number_text('number_text', decimal_mark) }}),
            lambda plain_text: {{ cost_per_customer.number_from_text('plain_text') }}
        )[1]
    end
{%- endmacro %}
{% macro spark__parse_decimal(column, decimal_mark) -%}
    {#- The value is bound once to number_text, then its plain text to plain_text. -#}
    transform(
        transform(array({{ cost_per_customer.number_text(cost_per_customer.clean_text(column)) }}), number_text ->
            {{ cost_per_customer.bound_plain_number_text('number_text', decimal_mark) }}),
        plain_text -> {{ cost_per_customer.number_from_text('plain_text') }}
    )[0]
{%- endmacro %}


{#- Reading the amounts of one row, each from a column of cleaned text (clean_text), as CTEs
    that each do one step: `amounts` maps the name of each amount to its cleaned text column in
    `from_cte`; the last CTE, `as_cte`, is `from_cte` plus one money column per amount. A plain
    decimal in a decimal-point file is cast directly (decimal_direct, `<amount>__direct`); any
    other text is read by read_decimal_list: on DuckDB one text at a time, and only for the rows
    whose direct cast did not read (a model selecting one amount reads only that one); on Spark
    once for all the amounts of the row (`<as_cte>__values`), keeping staging views short. -#}
{% macro read_decimals(from_cte, amounts, as_cte, decimal_mark='_decimal_mark') -%}
{{ as_cte }}__direct as (

    select
        *,
        {%- for amount, text in amounts.items() %}
        {{ cost_per_customer.decimal_direct(text, decimal_mark) }} as {{ amount }}__direct{{ "," if not loop.last }}
        {%- endfor %}

    from {{ from_cte }}

),

{{ cost_per_customer.read_decimals_rest(amounts, as_cte, decimal_mark) }}
{%- endmacro %}

{% macro read_decimals_rest(amounts, as_cte, decimal_mark) -%}
{{ adapter.dispatch('read_decimals_rest', 'cost_per_customer')(amounts, as_cte, decimal_mark) }}
{%- endmacro %}

{% macro default__read_decimals_rest(amounts, as_cte, decimal_mark) -%}
{{ as_cte }} as (

    select
        *,
        {%- for amount, text in amounts.items() %}
        coalesce({{ amount }}__direct, case when {{ text }} is not null then {{
            cost_per_customer.list_element(cost_per_customer.read_decimal_list([text], decimal_mark), 1)
        }} end) as {{ amount }}{{ "," if not loop.last }}
        {%- endfor %}

    from {{ as_cte }}__direct

)
{%- endmacro %}
{% macro spark__read_decimals_rest(amounts, as_cte, decimal_mark) -%}
{{ as_cte }}__lists as (

    select
        *,
        {%- set texts = [] %}
        {%- for amount, text in amounts.items() %}
        {%- do texts.append('case when ' ~ amount ~ '__direct is null then ' ~ text ~ ' end') %}
        {%- endfor %}
        {{ cost_per_customer.read_decimal_list(texts, decimal_mark) }} as {{ as_cte }}__values

    from {{ as_cte }}__direct

),

{{ as_cte }} as (

    select
        *,
        {%- for amount in amounts %}
        coalesce({{ amount }}__direct, {{ cost_per_customer.list_element(as_cte ~ '__values', loop.index) }}) as {{ amount }}{{ "," if not loop.last }}
        {%- endfor %}

    from {{ as_cte }}__lists

)
{%- endmacro %}

{#- The money values of a list of cleaned texts (expressions, each written once), in order: the
    reading of parse_decimal written once for the whole list. -#}
{% macro read_decimal_list(texts, decimal_mark) -%}
    {{ return(adapter.dispatch('read_decimal_list', 'cost_per_customer')(texts, decimal_mark)) }}
{%- endmacro %}
{% macro default__read_decimal_list(texts, decimal_mark) -%}
    list_transform(
        list_transform(
            list_transform([{{ texts | join(', ') }}], lambda cleaned_text: {{ cost_per_customer.number_text('cleaned_text') }}),
            lambda number_text: {{ cost_per_customer.bound_plain_number_text('number_text', decimal_mark) }}
        ),
        lambda plain_text: {{ cost_per_customer.number_from_text('plain_text') }}
    )
{%- endmacro %}
{% macro spark__read_decimal_list(texts, decimal_mark) -%}
    transform(
        transform(
            transform(array({{ texts | join(', ') }}), cleaned_text -> {{ cost_per_customer.number_text('cleaned_text') }}),
            number_text -> {{ cost_per_customer.bound_plain_number_text('number_text', decimal_mark) }}
        ),
        plain_text -> {{ cost_per_customer.number_from_text('plain_text') }}
    )
{%- endmacro %}

{#- The element at a 1-based position of a list. -#}
{% macro list_element(values, position) -%}
    {{ return(adapter.dispatch('list_element', 'cost_per_customer')(values, position)) }}
{%- endmacro %}
{% macro default__list_element(values, position) -%}
    list_extract({{ values }}, {{ position }})
{%- endmacro %}
{% macro spark__list_element(values, position) -%}
    element_at({{ values }}, {{ position }})
{%- endmacro %}

{#- The direct reading of a cleaned text (a column name) as money, where the engine's cast agrees
    with the strict reading: DuckDB, for a decimal-point file's value without an underscore (which
    its cast would take as a digit separator); NULL otherwise, and always on Spark. -#}
{% macro decimal_direct(text, decimal_mark) -%}
    {{ return(adapter.dispatch('decimal_direct', 'cost_per_customer')(text, decimal_mark)) }}
{%- endmacro %}
{% macro default__decimal_direct(text, decimal_mark) -%}
    case
        when {{ decimal_mark }} = 'point' and not contains({{ text }}, '_')
            then try_cast({{ text }} as {{ cost_per_customer.money_type() }})
    end
{%- endmacro %}
{% macro spark__decimal_direct(text, decimal_mark) -%}
    cast(null as {{ cost_per_customer.money_type() }})
{%- endmacro %}

{#- Plain number text ('-1000.50', '1.5E-3') to the money type; NULL when it does not read. -#}
{% macro number_from_text(text) -%}
    coalesce(
        try_cast({{ text }} as {{ cost_per_customer.money_type() }}),
        try_cast(try_cast({{ text }} as double) as {{ cost_per_customer.money_type() }})
    )
{%- endmacro %}


{#- Why a number did not read, for a quarantine reason: '' when nothing more can be said, else
    ': <what>' (a value that reads two ways, or whose decimal mark contradicts its file's). -#}
{% macro decimal_problem(column, decimal_mark='_decimal_mark') -%}
    {{ return(adapter.dispatch('decimal_problem', 'cost_per_customer')(column, decimal_mark)) }}
{%- endmacro %}
{% macro spark__decimal_problem(column, decimal_mark) -%}
    transform(array({{ cost_per_customer.number_text(cost_per_customer.clean_text(column)) }}), number_text ->
        {{ cost_per_customer.decimal_problem_text('number_text', decimal_mark) }})[0]
{%- endmacro %}
{% macro default__decimal_problem(column, decimal_mark) -%}
    list_transform([{{ cost_per_customer.number_text(cost_per_customer.clean_text(column)) }}], lambda number_text:
        {{ cost_per_customer.decimal_problem_text('number_text', decimal_mark) }})[1]
{%- endmacro %}
{% macro decimal_problem_text(number_text, decimal_mark) -%}
    {{ cost_per_customer.decimal_problem_reason(
        cost_per_customer.regex_full_match(number_text, cost_per_customer.decimal_point_pattern()),
        cost_per_customer.regex_full_match(number_text, cost_per_customer.decimal_comma_pattern()),
        decimal_mark
    ) }}
{%- endmacro %}

{#- The reason from whether the number text fits either shape (column names, as read_decimals
    leaves them, or expressions over a bound name). -#}
{% macro decimal_problem_reason(fits_point, fits_comma, decimal_mark) -%}
    case
        when {{ decimal_mark }} = 'point' and {{ fits_comma }} then ': written with a decimal comma in a file written with decimal points'
        when {{ decimal_mark }} = 'comma' and {{ fits_point }} then ': written with a decimal point in a file written with decimal commas'
        when {{ decimal_mark }} = 'unproven' and {{ fits_point }} and {{ fits_comma }}
            then ': separators can be read two ways and nothing in its file shows its decimal mark (declare it in input.yml)'
        when {{ decimal_mark }} = 'mixed' and {{ fits_point }} and {{ fits_comma }}
            then ': separators can be read two ways and its file mixes decimal points and decimal commas'
        else ''
    end
{%- endmacro %}

{% macro regex_full_match(text, pattern) -%}
    {{ return(adapter.dispatch('regex_full_match', 'cost_per_customer')(text, pattern)) }}
{%- endmacro %}
{% macro default__regex_full_match(text, pattern) -%}
    regexp_full_match({{ text }}, '{{ pattern }}')
{%- endmacro %}
{% macro spark__regex_full_match(text, pattern) -%}
    ({{ text }} rlike '{{ pattern }}')
{%- endmacro %}



{#- Timestamps to naive UTC: ISO 8601 with or without T and Z or an offset, plain dates, year-first
    slash dates (2024/03/25), and day/month/year slash dates in the order of their file:
    `date_order` names a column (landed with every row, see cpc.conventions) or a quoted literal
    holding 'day_first' or 'month_first'; NULL or none reads no day/month slash date (a file whose
    order is unknown does not land). Impossible values -> NULL. -#}
{% macro parse_timestamp(column, date_order='_date_order') -%}
    {{ return(cost_per_customer.read_timestamp(cost_per_customer.clean_text(column), date_order)) }}
{%- endmacro %}

{#- The same reading of a text already cleaned (clean_text), e.g. a column of a staging model's
    cleaning CTE: on DuckDB a column name is read in place (timestamp_from_text), anything else as
    read_timestamp_list of a list of one (the text is then written once). -#}
{% macro read_timestamp(text, date_order='_date_order') -%}
    {{ return(adapter.dispatch('read_timestamp', 'cost_per_customer')(text, date_order)) }}
{%- endmacro %}
{% macro default__read_timestamp(text, date_order) -%}
    {#- A column name is read in place; an expression is bound once (to the lambda's parameter). -#}
    {%- if modules.re.fullmatch('[A-Za-z_][A-Za-z0-9_]*([.][A-Za-z_][A-Za-z0-9_]*)?', text) -%}
    {{ cost_per_customer.timestamp_from_text(text, date_order) }}
    {%- else -%}
    {{ cost_per_customer.list_element(cost_per_customer.read_timestamp_list([text], date_order), 1) }}
    {%- endif -%}
{%- endmacro %}
{% macro spark__read_timestamp(text, date_order) -%}
    {{ cost_per_customer.list_element(cost_per_customer.read_timestamp_list([text], date_order), 1) }}
{%- endmacro %}

{#- CTE `as_cte`: the rows of `from_cte` with one timestamp column per entry of `timestamps` (output
    name -> cleaned text), by the reading of read_timestamp. DuckDB reads each column on its own, so a
    model that selects one of them parses only that one; Spark reads them as one list, so the
    formats are written once and a staging view stays under its length limit. -#}
{% macro read_timestamps(from_cte, timestamps, as_cte, date_order='_date_order') -%}
    {{ return(adapter.dispatch('read_timestamps', 'cost_per_customer')(from_cte, timestamps, as_cte, date_order)) }}
{%- endmacro %}
{% macro default__read_timestamps(from_cte, timestamps, as_cte, date_order) -%}
{{ as_cte }} as (

    select
        *,
        {%- for name, text in timestamps.items() %}
        {{ cost_per_customer.read_timestamp(text, date_order) }} as {{ name }}{{ "," if not loop.last }}
        {%- endfor %}

    from {{ from_cte }}

)
{%- endmacro %}
{% macro spark__read_timestamps(from_cte, timestamps, as_cte, date_order) -%}
{{ as_cte }}__list as (

    select
        *,
        {{ cost_per_customer.read_timestamp_list(timestamps.values() | list, date_order) }} as {{ as_cte }}__values

    from {{ from_cte }}

),

{{ as_cte }} as (

    select
        *,
        {%- for name in timestamps %}
        {{ cost_per_customer.list_element(as_cte ~ '__values', loop.index) }} as {{ name }}{{ "," if not loop.last }}
        {%- endfor %}

    from {{ as_cte }}__list

)
{%- endmacro %}

{#- The timestamps of a list of cleaned texts (expressions, each written once), in order: every
    text is bound to ts_text, so the formats to try are written once for the whole list. -#}
{% macro read_timestamp_list(texts, date_order='_date_order') -%}
    {{ return(adapter.dispatch('read_timestamp_list', 'cost_per_customer')(texts, date_order)) }}
{%- endmacro %}
{% macro default__read_timestamp_list(texts, date_order) -%}
    list_transform([{{ texts | join(', ') }}], lambda ts_text: {{ cost_per_customer.timestamp_from_text('ts_text', date_order) }})
{%- endmacro %}
{#- The reading of one cleaned text on DuckDB: `ts_text` is a column name or a lambda's parameter
    (it is written several times). -#}
{% macro timestamp_from_text(ts_text, date_order) -%}
    case
        when {{ ts_text }} like '%/%' then case
            when regexp_full_match({{ ts_text }}, '[0-9]{4}/.*')
                then try_strptime({{ ts_text }}, ['%Y/%m/%d', '%Y/%m/%d %H:%M', '%Y/%m/%d %H:%M:%S'])
            {%- if date_order %}
            {#- %Y would read a two-digit year as the year 24: the year's digits choose the formats. -#}
            {%- for order, day_month in [('day_first', '%d/%m'), ('month_first', '%m/%d')] %}
            when {{ date_order }} = '{{ order }}' and regexp_full_match({{ ts_text }}, '[0-9]{1,2}/[0-9]{1,2}/[0-9]{2}([ T].*)?')
                then try_strptime({{ ts_text }}, ['{{ day_month }}/%y', '{{ day_month }}/%y %H:%M', '{{ day_month }}/%y %H:%M:%S'])
            when {{ date_order }} = '{{ order }}'
                then try_strptime({{ ts_text }}, ['{{ day_month }}/%Y', '{{ day_month }}/%Y %H:%M', '{{ day_month }}/%Y %H:%M:%S'])
            {%- endfor %}
            {%- endif %}
        end
        {# a four-digit year first (DuckDB would read '24-03-25' as the year 24) #}
        when substr({{ ts_text }}, 5, 1) = '-' then timezone('UTC', try_cast({{ ts_text }} as timestamptz))
    end
{%- endmacro %}
{% macro spark__read_timestamp_list(texts, date_order) -%}
    {#- BigQuery writes '2024-01-01 00:00:00 UTC'; DuckDB reads that suffix, Spark's patterns need 'Z'. -#}
    {%- set slash_formats = {
        'year_first': ["yyyy/M/d", "yyyy/M/d H:mm", "yyyy/M/d H:mm:ss"],
        'day_first': ["d/M/yy", "d/M/yy H:mm", "d/M/yy H:mm:ss", "d/M/yyyy", "d/M/yyyy H:mm", "d/M/yyyy H:mm:ss"],
        'month_first': ["M/d/yy", "M/d/yy H:mm", "M/d/yy H:mm:ss", "M/d/yyyy", "M/d/yyyy H:mm", "M/d/yyyy H:mm:ss"],
    } -%}
    transform(transform(array({{ texts | join(', ') }}), landed_text -> regexp_replace(landed_text, ' UTC$', 'Z')), ts_text -> case
        when ts_text like '%/%' then case
            when ts_text rlike '^[0-9]{4}/' then coalesce(
                {%- for fmt in slash_formats.year_first %}try_to_timestamp(ts_text, "{{ fmt }}"){{ "," if not loop.last }}{% endfor %})
            {%- if date_order %}
            {%- for order in ['day_first', 'month_first'] %}
            when {{ date_order }} = '{{ order }}' then coalesce(
                {%- for fmt in slash_formats[order] %}try_to_timestamp(ts_text, "{{ fmt }}"){{ "," if not loop.last }}{% endfor %})
            {%- endfor %}
            {%- endif %}
        end
        else coalesce(
        {%- for fmt in ["yyyy-MM-dd'T'HH:mm:ss[.SSSSSS]XXX", "yyyy-MM-dd'T'HH:mm:ss[.SSSSSS]X", "yyyy-MM-dd HH:mm:ss[.SSSSSS]XXX",
                        "yyyy-MM-dd'T'HH:mm:ss[.SSSSSS]", "yyyy-MM-dd HH:mm:ss[.SSSSSS]", "yyyy-MM-dd'T'HH:mm[X]", "yyyy-MM-dd"] %}
        try_to_timestamp(ts_text, "{{ fmt }}"){{ "," if not loop.last }}
        {%- endfor %}
        )
    end)
{%- endmacro %}


{% macro parse_date(column, date_order='_date_order') -%}
    {{ return(adapter.dispatch('parse_date', 'cost_per_customer')(column, date_order)) }}
{%- endmacro %}
{% macro default__parse_date(column, date_order) -%}
    cast({{ cost_per_customer.parse_timestamp(column, date_order) }} as date)
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
{% macro parse_month(column, date_order='_date_order') -%}
    {{ return(adapter.dispatch('parse_month', 'cost_per_customer')(column, date_order)) }}
{%- endmacro %}
{% macro default__parse_month(column, date_order) -%}
    {%- set value = cost_per_customer.clean_text(column) -%}
    {{ cost_per_customer.month_start(
        "coalesce(" ~ cost_per_customer.parse_date("concat(" ~ value ~ ", '-01')", none) ~ ", " ~ cost_per_customer.parse_date(value, date_order) ~ ")"
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


{#- The values of a column, as a list: an aggregate, for a window frame (OVER follows it). -#}
{% macro collect_values(column) -%}
    {{ return(adapter.dispatch('collect_values', 'cost_per_customer')(column)) }}
{%- endmacro %}
{% macro default__collect_values(column) -%}
    list({{ column }})
{%- endmacro %}
{% macro spark__collect_values(column) -%}
    collect_list({{ column }})
{%- endmacro %}


{#- The median of the absolute deviations of a list's values (nulls left out) from centre, as
    percentile_cont(..., 0.5) computes it over rows: NULL for no value, the middle value for an odd
    count, half of each of the two middle values for an even one. -#}
{% macro median_absolute_deviation(values, centre) -%}
    {{ return(adapter.dispatch('median_absolute_deviation', 'cost_per_customer')(values, centre)) }}
{%- endmacro %}
{% macro default__median_absolute_deviation(values, centre) -%}
    list_aggregate(
        list_transform(list_filter({{ values }}, lambda value: value is not null),
                       lambda value: abs(cast(value as double) - {{ centre }})),
        'quantile_cont', 0.5)
{%- endmacro %}
{% macro spark__median_absolute_deviation(values, centre) -%}
    {#- Spark's percentile interpolates (higher - position) x lower + (position - lower) x higher
        at position (n - 1) / 2: the middle value, or 0.5 x each of the two middle ones. The
        aggregate over a one-element array only names the sorted deviations once (Spark SQL has
        no let). -#}
    aggregate(
        array(array_sort(transform(filter({{ values }}, value -> value is not null),
                                   value -> abs(cast(value as double) - {{ centre }})))),
        cast(null as double),
        (unused, deviations) -> case
            when size(deviations) = 0 then cast(null as double)
            when size(deviations) % 2 = 1 then element_at(deviations, cast((size(deviations) + 1) / 2 as int))
            else 0.5 * element_at(deviations, cast(size(deviations) / 2 as int))
                + 0.5 * element_at(deviations, cast(size(deviations) / 2 + 1 as int))
        end)
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
