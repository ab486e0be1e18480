{#- One row per allocation candidate per rule that may place it (matches, in effect), with what the rule's method reads. -#}
{%- set rules = cost_per_customer.allocation_rules() -%}
with

candidates as (

    select * from {{ ref('int_cost_candidates_grouped') }}

),

drivers as (

    select * from {{ ref('int_usage_drivers_daily') }}

),

recipients as (

    select * from {{ ref('int_rule_recipients_daily') }}

),

{# A candidate naming its own customer is placed on it by 'direct' (position 0) before any rule; a
    candidate that says it stays unattributed tries no rule. -#}
candidate_rules as (

    select
        candidates.candidate_id,
        0 as rule_position,
        'direct' as rule_name,
        cast(null as {{ dbt.type_string() }}) as rule_version,
        'direct' as allocation_method,
        cast(null as {{ dbt.type_string() }}) as rule_metric,
        cast(null as {{ dbt.type_string() }}) as rule_driver_service

    from candidates
    where candidates.direct_customer_id is not null

    union all

    {%- for rule in rules %}
    select
        candidates.candidate_id,
        {{ rule.position }} as rule_position,
        {{ cost_per_customer.text_literal(rule.name) }} as rule_name,
        {{ cost_per_customer.text_literal(rule.version) }} as rule_version,
        {{ cost_per_customer.text_literal(rule.method) }} as allocation_method,
        {{ cost_per_customer.text_literal(rule.metric) }} as rule_metric,
        {{ cost_per_customer.text_literal('*' if rule.across_services else none) }} as rule_driver_service

    from candidates
    where candidates.{{ cost_per_customer.rule_match_column(rule) }}
        and {{ cost_per_customer.rule_in_effect(rule, 'candidates.cost_date') }}
        and candidates.direct_unattributed_reason is null
    {% if not loop.last %}
    union all
    {% endif %}
    {%- endfor %}

),

{# A usage rule without a metric uses the service's only telemetry metric (none if it has several). -#}
service_metrics as (

    select
        drivers.service_name,
        min(drivers.metric) as only_metric

    from drivers
    group by drivers.service_name
    having count(distinct drivers.metric) = 1

),

recipient_totals as (

    select
        recipients.rule_position,
        recipients.cost_date,
        sum(recipients.recipient_weight) as total_weight

    from recipients
    group by 1, 2

),

rule_options as (

    select
        candidate_rules.*,
        candidates.cost_date,
        candidates.billing_account_id,
        candidates.effective_cost,
        case when candidate_rules.allocation_method = 'usage'
            then coalesce(candidate_rules.rule_metric, service_metrics.only_metric)
        end as driver_metric,
        candidates.customer_tag,
        candidates.service_name,
        coalesce(candidate_rules.rule_driver_service, candidates.service_name) as driver_service,
        candidates.region_id,
        candidates.resource_id,
        recipient_totals.total_weight as recipient_weight

    from candidate_rules
    inner join candidates
        on candidate_rules.candidate_id = candidates.candidate_id
    left join service_metrics
        on candidates.service_name = service_metrics.service_name
    left join recipient_totals
        on candidate_rules.rule_position = recipient_totals.rule_position
        and candidates.cost_date = recipient_totals.cost_date

)

select * from rule_options
