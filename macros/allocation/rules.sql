{#- The allocation rules, from the `cpc_rules` project variable (written by `cpc build` from a
    validated allocation.yml, or the documented defaults in dbt_project.yml). Checked here again so a
    hand-written --vars fails at compile time with a message naming the bad rule. -#}
{% macro allocation_rules() -%}
    {{ return(adapter.dispatch('allocation_rules', 'cost_per_customer')()) }}
{%- endmacro %}

{% macro default__allocation_rules() -%}
    {%- set rules = cost_per_customer.setting('cpc_rules') -%}
    {%- set methods = var('cpc_allocation_methods') -%}
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


{#- The name of the boolean column saying whether a charge's cost is followed by a
    proportional_to_cost rule (its `basis`; every charge when the rule has none). -#}
{% macro rule_basis_column(rule) -%}
    {{ return(adapter.dispatch('rule_basis_column', 'cost_per_customer')(rule)) }}
{%- endmacro %}
{% macro default__rule_basis_column(rule) -%}followed_by_rule_{{ rule.position }}{%- endmacro %}


{#- The proportional_to_cost rules (those with a basis column). -#}
{% macro cost_following_rules() -%}
    {{ return(cost_per_customer.allocation_rules() | selectattr('method', 'equalto', 'proportional_to_cost') | list) }}
{%- endmacro %}


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


{#- SQL predicate: the customer (a relation with customer_id and segment) is in the rule's scope
    (scope_segments / scope_customers; no scope = everyone). -#}
{% macro rule_scope(rule, customers_relation) -%}
    {{ return(adapter.dispatch('rule_scope', 'cost_per_customer')(rule, customers_relation)) }}
{%- endmacro %}
{% macro default__rule_scope(rule, customers_relation) -%}
    {%- set segments = rule.scope_segments or [] -%}
    {%- set customers = rule.scope_customers or [] -%}
    {%- if segments or customers -%}
    (
        {%- if segments %}{{ customers_relation }}.segment in ({% for segment in segments %}{{ cost_per_customer.text_literal(segment) }}{{ ", " if not loop.last }}{% endfor %}){% endif %}
        {%- if segments and customers %} or {% endif %}
        {%- if customers %}lower({{ customers_relation }}.customer_id) in ({% for customer_id in customers %}lower({{ cost_per_customer.text_literal(customer_id) }}){{ ", " if not loop.last }}{% endfor %}){% endif -%}
    )
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}


{#- SQL expression: a weighted rule's weight for a customer (by customer id, else by segment, else
    default_weight). -#}
{% macro rule_weight(rule, customers_relation) -%}
    {{ return(adapter.dispatch('rule_weight', 'cost_per_customer')(rule, customers_relation)) }}
{%- endmacro %}
{% macro default__rule_weight(rule, customers_relation) -%}
    case
        {%- for customer_id, weight in (rule.weights_customer or {}).items() %}
        when lower({{ customers_relation }}.customer_id) = lower({{ cost_per_customer.text_literal(customer_id) }}) then cast({{ weight }} as {{ cost_per_customer.money_type() }})
        {%- endfor %}
        {%- for segment, weight in (rule.weights_segment or {}).items() %}
        when {{ customers_relation }}.segment = {{ cost_per_customer.text_literal(segment) }} then cast({{ weight }} as {{ cost_per_customer.money_type() }})
        {%- endfor %}
        else cast({{ rule.default_weight if rule.default_weight is not none else 1 }} as {{ cost_per_customer.money_type() }})
    end
{%- endmacro %}


{#- The charge attributes that decide how rules treat a charge-day: charge-days alike in these (and
    in their rule matches) form one allocation candidate (int_cost_candidates). -#}
{% macro candidate_columns() -%}
    {{ return([
        'billing_currency', 'billing_account_id', 'service_name', 'service_category', 'region_id',
        'resource_id', 'charge_category', 'customer_tag', 'is_unused_commitment', 'cost_category',
        'direct_customer_id', 'direct_unattributed_reason', 'surcharge_name',
    ]) }}
{%- endmacro %}


{#- Where a proportional_to_cost rule looks for the cost it follows: the same billing account by
    default; with a `basis` predicate, the basis alone decides (any account: '*'). -#}
{% macro basis_account_key(rule, account_column) -%}
    {{ return(adapter.dispatch('basis_account_key', 'cost_per_customer')(rule, account_column)) }}
{%- endmacro %}
{% macro default__basis_account_key(rule, account_column) -%}
    {%- if rule.basis_sql -%}'*'{%- else -%}coalesce({{ account_column }}, ''){%- endif -%}
{%- endmacro %}


{#- The surcharges of allocation.yml (var cpc_surcharges, set by `cpc build`), in order: dicts with
    name, match_sql, rate (or none), region_rates (region_id -> rate), category (or none),
    effective_from, effective_to and position. Empty when there are none. -#}
{% macro surcharges() -%}
    {{ return(adapter.dispatch('surcharges', 'cost_per_customer')()) }}
{%- endmacro %}
{% macro default__surcharges() -%}
    {%- set surcharges = cost_per_customer.setting('cpc_surcharges', []) -%}
    {%- if surcharges is string or surcharges is mapping -%}
        {{ exceptions.raise_compiler_error("var cpc_surcharges must be a list of surcharges, got: " ~ surcharges) }}
    {%- endif -%}
    {{ return(surcharges) }}
{%- endmacro %}


{#- The rate a surcharge charges on a charge in the given region: the region's own rate from
    region_rates (region ids compared case-insensitively), else the surcharge's rate (NULL when it
    has none, meaning the charge is not surcharged). -#}
{% macro surcharge_rate(surcharge, region_column) -%}
    {{ return(adapter.dispatch('surcharge_rate', 'cost_per_customer')(surcharge, region_column)) }}
{%- endmacro %}
{% macro default__surcharge_rate(surcharge, region_column) -%}
    {%- set fallback = surcharge.rate if surcharge.rate is not none else 'null' -%}
    {%- if surcharge.region_rates -%}
    case lower({{ region_column }})
        {%- for region, rate in surcharge.region_rates.items() %}
        when {{ cost_per_customer.text_literal(region | lower) }} then cast({{ rate }} as double)
        {%- endfor %}
        else cast({{ fallback }} as double)
    end
    {%- else -%}
    cast({{ fallback }} as double)
    {%- endif -%}
{%- endmacro %}


{#- The tag columns the rule and surcharge predicates read (var cpc_rule_tag_keys): one
    `<value> as tag__<key>,` per tag, for a select list; empty without tags. -#}
{% macro rule_tag_columns(tags_map_column, tag_keys=none) -%}
    {{ return(adapter.dispatch('rule_tag_columns', 'cost_per_customer')(tags_map_column, tag_keys)) }}
{%- endmacro %}
{% macro default__rule_tag_columns(tags_map_column, tag_keys) -%}
    {%- for tag in (cost_per_customer.setting('cpc_rule_tag_keys', []) if tag_keys is none else tag_keys) %}
        {{ cost_per_customer.map_tag_value(tags_map_column, tag.key) }} as {{ tag.column }},
    {%- endfor %}
{%- endmacro %}
