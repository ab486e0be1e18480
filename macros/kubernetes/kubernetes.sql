{#- Kubernetes cost split: settings, the columns of the split charges, and the one string function
    the node matching needs. See docs/kubernetes.md. -#}

{#- The split settings from project variables (allocation.yml `kubernetes:` via `cpc build`), checked
    so that a hand-written --vars fails at compile time with a message naming the bad value:
    cpu_hourly_price (per core-hour) and ram_gib_hourly_price (per GiB-hour), positive numbers whose
    ratio splits a node's cost into CPU and RAM; share_idle: none (idle stays unattributed), even or
    weighted (cpc_kubernetes_share_idle_modes). The defaults are the variables' values in
    dbt_project.yml. -#}
{% macro kubernetes_settings() -%}
    {{ return(adapter.dispatch('kubernetes_settings', 'cost_per_customer')()) }}
{%- endmacro %}

{% macro default__kubernetes_settings() -%}
    {%- set settings = {
        'cpu_hourly_price': cost_per_customer.setting('cpc_kubernetes_cpu_hourly_price'),
        'ram_gib_hourly_price': cost_per_customer.setting('cpc_kubernetes_ram_gib_hourly_price'),
        'share_idle': cost_per_customer.setting('cpc_kubernetes_share_idle'),
    } -%}
    {%- set share_idle_modes = var('cpc_kubernetes_share_idle_modes') -%}
    {%- for key in ['cpu_hourly_price', 'ram_gib_hourly_price'] -%}
        {%- set value = settings[key] -%}
        {%- if value is string or value is boolean or value is not number or value <= 0 -%}
            {{ exceptions.raise_compiler_error("kubernetes settings in " ~ this ~ ": var cpc_kubernetes_" ~ key ~ " must be a positive number, got: " ~ value) }}
        {%- endif -%}
    {%- endfor -%}
    {%- if settings.share_idle not in share_idle_modes -%}
        {{ exceptions.raise_compiler_error("kubernetes settings in " ~ this ~ ": var cpc_kubernetes_share_idle must be one of " ~ share_idle_modes | join(', ') ~ ", got: " ~ settings.share_idle) }}
    {%- endif -%}
    {{ return(settings) }}
{%- endmacro %}


{#- The columns of int_charges_deduplicated, in order: the billing charge contract, then what
    deduplication adds. int_charges_allocatable and int_kubernetes_node_charges_split select exactly these
    (then kubernetes_split_columns()), so that split charges can replace node charges downstream. -#}
{% macro deduplicated_charge_columns() -%}
    {{ return(adapter.dispatch('deduplicated_charge_columns', 'cost_per_customer')()) }}
{%- endmacro %}

{% macro default__deduplicated_charge_columns() -%}
    {{ return(cost_per_customer.billing_charge_columns() + [
        'cost_category', 'delivery_id', 'stream_account_id', 'stream_period_start', 'variant_rank',
        'superseded_reason', 'superseded_by',
    ]) }}
{%- endmacro %}


{#- The columns a Kubernetes split adds to a charge, as (name, SQL type), in order. NULL (and
    parent_charge_id = charge_id) on charges that were not split. -#}
{% macro kubernetes_split_columns() -%}
    {{ return(adapter.dispatch('kubernetes_split_columns', 'cost_per_customer')()) }}
{%- endmacro %}

{% macro default__kubernetes_split_columns() -%}
    {{ return([
        ('parent_charge_id', dbt.type_string()),
        ('kubernetes_node_id', dbt.type_string()),
        ('kubernetes_cluster_id', dbt.type_string()),
        ('kubernetes_namespace', dbt.type_string()),
        ('kubernetes_cost_kind', dbt.type_string()),
        ('kubernetes_customer_source', dbt.type_string()),
        ('kubernetes_share', 'double'),
        ('kubernetes_cpu_cost_ratio', 'double'),
        ('kubernetes_cpu_core_hours', 'double'),
        ('kubernetes_memory_gib_hours', 'double'),
        ('direct_unattributed_reason', dbt.type_string()),
    ]) }}
{%- endmacro %}


{#- The part of a path-like identifier after its last '/' (an ARN's arn:aws:ec2:...:instance/i-0abc
    and a providerID aws:///us-east-1a/i-0abc both give i-0abc; an id without '/' is itself); NULL
    for NULL or a trailing '/'. -#}
{% macro last_path_segment(column) -%}
    {{ return(adapter.dispatch('last_path_segment', 'cost_per_customer')(column)) }}
{%- endmacro %}

{% macro default__last_path_segment(column) -%}
    nullif(regexp_extract({{ column }}, '([^/]+)$', 1), '')
{%- endmacro %}
