{#- The allocation rules, from the `cpc_rules` project variable (written by `cpc build` from a
    validated allocation.yml, or the documented defaults in dbt_project.yml). Checked here again so a
    hand-written --vars fails at compile time with a message naming the bad rule. -#}
{% macro allocation_rules() -%}
    {{ return(adapter.dispatch('allocation_rules', 'cost_per_customer')()) }}
{%- endmacro %}

{% macro default__allocation_rules() -%}
    {%- set rules = var('cpc_rules') -%}
    {%- set methods = ['tag', 'usage', 'even', 'proportional_to_cost'] -%}
    {%- if rules is string or rules is mapping or rules | length == 0 -%}
        {{ exceptions.raise_compiler_error("var cpc_rules must be a non-empty list of rules, got: " ~ rules) }}
    {%- endif -%}
    {%- set seen = [] -%}
    {%- for rule in rules -%}
        {%- if rule.name is not defined or rule.method is not defined or rule.position is not defined -%}
            {{ exceptions.raise_compiler_error("allocation rule #" ~ loop.index ~ " needs name, method and position: " ~ rule) }}
        {%- endif -%}
        {%- if rule.method not in methods -%}
            {{ exceptions.raise_compiler_error("allocation rule '" ~ rule.name ~ "': unknown method '" ~ rule.method ~ "' (supported: " ~ methods | join(', ') ~ ")") }}
        {%- endif -%}
        {%- if rule.position in seen -%}
            {{ exceptions.raise_compiler_error("allocation rule '" ~ rule.name ~ "': position " ~ rule.position ~ " is used twice") }}
        {%- endif -%}
        {%- do seen.append(rule.position) -%}
    {%- endfor -%}
    {{ return(rules) }}
{%- endmacro %}


{#- The name of the boolean column saying whether a charge satisfies a rule's `match`. -#}
{% macro rule_match_column(rule) -%}
    {{ return(adapter.dispatch('rule_match_column', 'cost_per_customer')(rule)) }}
{%- endmacro %}
{% macro default__rule_match_column(rule) -%}matches_rule_{{ rule.position }}{%- endmacro %}


{#- SQL predicate: the rule is in effect on the given day ([effective_from, effective_to)). -#}
{% macro rule_in_effect(rule, day_column) -%}
    {{ return(adapter.dispatch('rule_in_effect', 'cost_per_customer')(rule, day_column)) }}
{%- endmacro %}
{% macro default__rule_in_effect(rule, day_column) -%}
    (true
    {%- if rule.effective_from %} and {{ day_column }} >= cast('{{ rule.effective_from }}' as date){% endif %}
    {%- if rule.effective_to %} and {{ day_column }} < cast('{{ rule.effective_to }}' as date){% endif %})
{%- endmacro %}


{#- A text literal, or NULL typed as text. -#}
{% macro text_literal(value) -%}
    {{ return(adapter.dispatch('text_literal', 'cost_per_customer')(value)) }}
{%- endmacro %}
{% macro default__text_literal(value) -%}
    {%- if value is none -%}cast(null as {{ dbt.type_string() }}){%- else -%}'{{ value | replace("'", "''") }}'{%- endif -%}
{%- endmacro %}
