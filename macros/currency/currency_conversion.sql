{#- Currency conversion: the reporting currency every amount is reported in, how far a published
    rate may be carried forward, the type of a rate, and money times a rate. -#}

{#- The reporting currency, upper-case: var cpc_reporting_currency (allocation.yml
    `reporting_currency`), else var cpc_default_currency, else USD. Must be a 3-letter code. -#}
{% macro reporting_currency() -%}
    {{ return(adapter.dispatch('reporting_currency', 'cost_per_customer')()) }}
{%- endmacro %}
{% macro default__reporting_currency() -%}
    {%- set configured = cost_per_customer.setting('cpc_reporting_currency', none) or var('cpc_default_currency', 'USD') -%}
    {%- set code = (configured | string | trim | upper) -%}
    {%- if not modules.re.fullmatch('[A-Z]{3}', code) -%}
        {{ exceptions.raise_compiler_error("var cpc_reporting_currency must be a 3-letter currency code such as USD or EUR, got: " ~ configured) }}
    {%- endif -%}
    {{ return(code) }}
{%- endmacro %}


{#- How many days a published rate is carried forward to days without one (var
    cpc_fx_max_gap_days, allocation.yml `fx_max_gap_days`, default 7): a whole number >= 0. -#}
{% macro fx_max_gap_days() -%}
    {{ return(adapter.dispatch('fx_max_gap_days', 'cost_per_customer')()) }}
{%- endmacro %}
{% macro default__fx_max_gap_days() -%}
    {%- set configured = cost_per_customer.setting('cpc_fx_max_gap_days', 7) -%}
    {%- if configured is boolean or configured is not number or configured != (configured | int) or configured < 0 -%}
        {{ exceptions.raise_compiler_error("var cpc_fx_max_gap_days must be a whole number of days >= 0, got: " ~ configured) }}
    {%- endif -%}
    {{ return(configured | int) }}
{%- endmacro %}


{#- The SQL type of an exchange rate: up to 8 integer digits and 12 decimals (a rate such as
    0.000061728395 keeps 8 significant digits). Narrower than money_type so that money x rate stays
    within 38 digits with more than money_type's scale (see convert_money). -#}
{% macro fx_rate_type() -%}
    {{ return(adapter.dispatch('fx_rate_type', 'cost_per_customer')()) }}
{%- endmacro %}
{% macro default__fx_rate_type() -%}decimal(20, 12){%- endmacro %}


{#- Text to fx_rate_type, tolerating spaces, thousands separators and exponents; NULL when unreadable. -#}
{% macro parse_fx_rate(column) -%}
    {{ return(adapter.dispatch('parse_fx_rate', 'cost_per_customer')(column)) }}
{%- endmacro %}
{% macro default__parse_fx_rate(column) -%}
    {%- set stripped = "replace(replace(" ~ cost_per_customer.clean_text(column) ~ ", ',', ''), ' ', '')" -%}
    coalesce(
        try_cast({{ stripped }} as {{ cost_per_customer.fx_rate_type() }}),
        try_cast(try_cast({{ stripped }} as double) as {{ cost_per_customer.fx_rate_type() }})
    )
{%- endmacro %}


{#- An amount times an exchange rate, exactly in decimals and rounded (half away from zero) to
    money_type's scale. The amount is taken as decimal(28, 10) and the rate as fx_rate_type, so the
    product keeps more than 10 decimals on every engine: decimal(38, 22) on DuckDB and on Spark as
    the profile runs it (allowPrecisionLoss false), decimal(38, 11) on Spark with precision loss
    allowed. NULL when the rate is NULL (or, on Spark, on overflow: assert_charges_have_fx_rates
    reports any amount left unconverted). -#}
{% macro convert_money(amount, rate) -%}
    {{ return(adapter.dispatch('convert_money', 'cost_per_customer')(amount, rate)) }}
{%- endmacro %}
{% macro default__convert_money(amount, rate) -%}
    cast(round(
        cast({{ amount }} as decimal(28, 10)) * cast({{ rate }} as {{ cost_per_customer.fx_rate_type() }}),
        10
    ) as {{ cost_per_customer.money_type() }})
{%- endmacro %}


{#- The rate converting a currency column to the reporting currency: 1 for the reporting currency
    itself (no rate needed), else the given rate column (NULL when there is none). -#}
{% macro fx_rate_or_one(currency_column, rate_column) -%}
    {{ return(adapter.dispatch('fx_rate_or_one', 'cost_per_customer')(currency_column, rate_column)) }}
{%- endmacro %}
{% macro default__fx_rate_or_one(currency_column, rate_column) -%}
    case
        when {{ currency_column }} = '{{ cost_per_customer.reporting_currency() }}' then cast(1 as {{ cost_per_customer.fx_rate_type() }})
        else cast({{ rate_column }} as {{ cost_per_customer.fx_rate_type() }})
    end
{%- endmacro %}


{#- Whole days from one date to another (NULL when either is NULL). dbt.datediff raises on Spark
    when a date is NULL, hence this. -#}
{% macro days_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('days_between', 'cost_per_customer')(start_date, end_date)) }}
{%- endmacro %}
{% macro default__days_between(start_date, end_date) -%}
    date_diff('day', cast({{ start_date }} as date), cast({{ end_date }} as date))
{%- endmacro %}
{% macro spark__days_between(start_date, end_date) -%}
    datediff(cast({{ end_date }} as date), cast({{ start_date }} as date))
{%- endmacro %}


{#- Days since Monday 2000-01-03: a day's position in time, and modulo 7 its weekday (0 Monday),
    the same on every engine (no engine's weekday numbering). -#}
{% macro day_number(date_expression) -%}
    {{ cost_per_customer.days_between("cast('2000-01-03' as date)", date_expression) }}
{%- endmacro %}
