{#- minuend - subtrahend as money_type, exactly, on every engine. -#}
{% macro money_difference(minuend, subtrahend) -%}
    {{ return(adapter.dispatch('money_difference', 'cost_per_customer')(minuend, subtrahend)) }}
{%- endmacro %}

{% macro default__money_difference(minuend, subtrahend) -%}
    cast(
        cast({{ minuend }} as decimal(37, 10)) - cast({{ subtrahend }} as decimal(37, 10))
    as {{ cost_per_customer.money_type() }})
{%- endmacro %}


{#- Split a total into lines that add up to it exactly: every line keeps its own rounded amount,
    except the first line of its group in `order_by` (the largest), which takes the total minus
    the others. `amount` must be a column already computed, so the expression is not repeated. -#}
{% macro largest_remainder(amount, total, partition_by, order_by) -%}
    {{ return(adapter.dispatch('largest_remainder', 'cost_per_customer')(amount, total, partition_by, order_by)) }}
{%- endmacro %}

{% macro default__largest_remainder(amount, total, partition_by, order_by) -%}
    {%- if not modules.re.match('^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$', amount) -%}
        {{ exceptions.raise_compiler_error(
            "largest_remainder in " ~ model.name ~ ": amount must be a column name, got '" ~ amount ~ "'"
        ) }}
    {%- endif -%}
    case
        when row_number() over (partition by {{ partition_by }} order by {{ order_by }}) = 1
            then {{ cost_per_customer.money_difference(
                total,
                'sum(' ~ amount ~ ') over (partition by ' ~ partition_by ~ ') - ' ~ amount
            ) }}
        else {{ amount }}
    end
{%- endmacro %}
