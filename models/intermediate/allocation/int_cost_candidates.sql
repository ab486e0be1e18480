{#- One row per allocation candidate: the charge-days of one day that every rule treats alike (same
    service, region, account, category, resource, customer tag, commitment status and rule
    matches), with the rule that places it: the first rule in order that matches, is in effect
    that day, and can place it — tag: the charge carries the customer tag; usage: the metric has
    usage that day for the service (at resource, region or service level; for a rule with
    across_services, the metric's usage of every service, driver_service '*'); even, weighted, revenue,
    fixed: the rule has a recipient with positive weight that day (int_rule_recipients_daily);
    proportional_to_cost: direct rules placed cost it follows on that day and billing account.
    A charge-day that says it stays unattributed (direct_unattributed_reason: a Kubernetes node's
    idle or unmapped-namespace line) gets that reason and no rule is tried.
    A charge-day naming its own customer (direct_customer_id: other_costs.csv's customer_id) is
    placed on it before any rule is tried (rule 'direct' at position 0, method 'direct'; an unknown
    customer becomes unknown_customer in int_costs_allocated) and counts as cost placed by a
    direct rule for proportional_to_cost rules.
    A candidate no rule places gets the reason. pool_id names the cost pool it joins. Charge-days
    whose EffectiveCost is zero move no money and are left out. -#}
{%- set rules = cost_per_customer.allocation_rules() -%}
{%- set following_rules = cost_per_customer.cost_following_rules() -%}
{%- set has_tag_rule = rules | selectattr('method', 'equalto', 'tag') | list | length > 0 -%}
{#- cost_category and direct_customer_id follow from the candidate's other attributes (the FOCUS
    ServiceCategory for cloud bills; the cost_id, as resource_id, for other costs), so grouping by
    them never splits a candidate_id. -#}
{%- set group_columns = ['cost_date'] + cost_per_customer.candidate_columns() -%}
{%- for column in ['cost_category', 'direct_customer_id', 'direct_unattributed_reason'] if column not in group_columns %}{% do group_columns.append(column) %}{% endfor -%}
{%- set pool_columns = [
    'resolved.cost_date', 'resolved.billing_currency', 'resolved.billing_account_id', 'resolved.service_name',
    'resolved.service_category', 'resolved.cost_category', 'resolved.region_id', 'resolved.charge_category', 'resolved.rule_position',
    'resolved.allocation_method', 'resolved.driver_metric', 'resolved.driver_level', 'resolved.driver_value',
    'resolved.pool_customer_tag', 'resolved.unattributed_reason', 'resolved.surcharge_name', 'resolved.driver_service',
] -%}
with

charge_days as (

    select * from {{ ref('int_charges_prorated') }}

),

drivers as (

    select * from {{ ref('int_usage_drivers_daily') }}

),

recipients as (

    select * from {{ ref('int_rule_recipients_daily') }}

),

candidates as (

    select
        charge_days.candidate_id,
        {%- for column in group_columns %}
        charge_days.{{ column }},
        {%- endfor %}
        {%- for rule in rules %}
        charge_days.{{ cost_per_customer.rule_match_column(rule) }},
        {%- endfor %}
        {%- for rule in following_rules %}
        charge_days.{{ cost_per_customer.rule_basis_column(rule) }},
        {%- endfor %}
        sum(charge_days.effective_cost) as effective_cost,
        sum(charge_days.billed_cost) as billed_cost,
        sum(charge_days.list_cost) as list_cost,
        count(*) as charge_day_count

    from charge_days
    group by
        charge_days.candidate_id,
        {%- for column in group_columns %}
        charge_days.{{ column }},
        {%- endfor %}
        {%- for rule in rules %}
        charge_days.{{ cost_per_customer.rule_match_column(rule) }}{{ "," if not loop.last or following_rules }}
        {%- endfor %}
        {%- for rule in following_rules %}
        charge_days.{{ cost_per_customer.rule_basis_column(rule) }}{{ "," if not loop.last }}
        {%- endfor %}
    having sum(charge_days.effective_cost) <> 0

),

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

driver_totals as (

    select
        drivers.cost_date,
        drivers.service_name,
        drivers.metric,
        drivers.driver_level,
        drivers.driver_value,
        sum(drivers.quantity) as total_quantity

    from drivers
    group by 1, 2, 3, 4, 5

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

),

usage_resolved as (

    select
        rule_options.*,
        case
            when by_resource.total_quantity > 0 then 'resource'
            when by_region.total_quantity > 0 then 'region'
            when by_service.total_quantity > 0 then 'service'
        end as driver_level,
        case
            when by_resource.total_quantity > 0 then rule_options.resource_id
            when by_region.total_quantity > 0 then rule_options.region_id
            when by_service.total_quantity > 0 then '*'
        end as driver_value

    from rule_options
    left join driver_totals as by_resource
        on rule_options.cost_date = by_resource.cost_date
        and rule_options.driver_service = by_resource.service_name
        and rule_options.driver_metric = by_resource.metric
        and by_resource.driver_level = 'resource'
        and rule_options.resource_id = by_resource.driver_value
    left join driver_totals as by_region
        on rule_options.cost_date = by_region.cost_date
        and rule_options.driver_service = by_region.service_name
        and rule_options.driver_metric = by_region.metric
        and by_region.driver_level = 'region'
        and rule_options.region_id = by_region.driver_value
    left join driver_totals as by_service
        on rule_options.cost_date = by_service.cost_date
        and rule_options.driver_service = by_service.service_name
        and rule_options.driver_metric = by_service.metric
        and by_service.driver_level = 'service'

),

direct_placeable as (

    select
        usage_resolved.*,
        case
            when usage_resolved.allocation_method = 'direct' then true
            when usage_resolved.allocation_method = 'tag' then usage_resolved.customer_tag is not null
            when usage_resolved.allocation_method = 'usage' then usage_resolved.driver_level is not null
            when usage_resolved.allocation_method in ('even', 'weighted', 'revenue', 'fixed')
                then coalesce(usage_resolved.recipient_weight, 0) > 0
            else false
        end as is_placeable_directly

    from usage_resolved

),

candidate_positions as (

    select
        direct_placeable.candidate_id,
        min(case when direct_placeable.is_placeable_directly then direct_placeable.rule_position end) as direct_position,
        min(
            case when direct_placeable.allocation_method = 'proportional_to_cost' then direct_placeable.rule_position end
        ) as first_following_position,
        max(case when direct_placeable.allocation_method = 'usage' then 1 else 0 end) = 1 as has_usage_rule

    from direct_placeable
    group by direct_placeable.candidate_id

),

{# Cost placed by direct rules on candidates no cost-following rule claims first: what each
    proportional_to_cost rule follows — per day and billing account, or, for a rule with a
    `basis`, per day across accounts within the basis ('*'). -#}
basis_candidates as (

    select candidates.*
    from candidates
    inner join candidate_positions
        on candidates.candidate_id = candidate_positions.candidate_id
    where candidate_positions.direct_position is not null
        and (candidate_positions.first_following_position is null
            or candidate_positions.direct_position < candidate_positions.first_following_position)

),

cost_basis as (

    {%- for rule in following_rules %}
    select
        {{ rule.position }} as rule_position,
        basis_candidates.cost_date,
        {{ cost_per_customer.basis_account_key(rule, 'basis_candidates.billing_account_id') }} as billing_account_key,
        sum(basis_candidates.effective_cost) as basis_cost
    from basis_candidates
    where basis_candidates.{{ cost_per_customer.rule_basis_column(rule) }}
    group by 1, 2, 3
    union all
    {%- endfor %}
    select
        cast(null as integer) as rule_position,
        cast(null as date) as cost_date,
        cast(null as {{ dbt.type_string() }}) as billing_account_key,
        cast(null as {{ cost_per_customer.money_type() }}) as basis_cost
    from candidates
    where 1 = 0

),

placeable as (

    select
        direct_placeable.*,
        direct_placeable.is_placeable_directly
            or (direct_placeable.allocation_method = 'proportional_to_cost' and coalesce(cost_basis.basis_cost, 0) > 0)
            as is_placeable

    from direct_placeable
    left join cost_basis
        on direct_placeable.rule_position = cost_basis.rule_position
        and direct_placeable.cost_date = cost_basis.cost_date
        and cost_basis.billing_account_key in ('*', coalesce(direct_placeable.billing_account_id, ''))

),

winners as (

    select
        placeable.candidate_id,
        min(placeable.rule_position) as winning_position

    from placeable
    where placeable.is_placeable
    group by placeable.candidate_id

),

resolved as (

    select
        candidates.candidate_id,
        {%- for column in group_columns %}
        candidates.{{ column }},
        {%- endfor %}
        {%- for rule in following_rules %}
        candidates.{{ cost_per_customer.rule_basis_column(rule) }},
        {%- endfor %}
        candidates.effective_cost,
        candidates.billed_cost,
        candidates.list_cost,
        candidates.charge_day_count,
        placeable.rule_position,
        placeable.rule_name,
        placeable.rule_version,
        placeable.allocation_method,
        placeable.driver_metric,
        placeable.driver_level,
        placeable.driver_value,
        case when placeable.allocation_method = 'usage' then placeable.driver_service end as driver_service,
        case
            when placeable.allocation_method = 'tag' then candidates.customer_tag
            when placeable.allocation_method = 'direct' then candidates.direct_customer_id
        end as pool_customer_tag,
        coalesce(
            candidate_positions.direct_position is not null
            and placeable.rule_position = candidate_positions.direct_position
            and (candidate_positions.first_following_position is null
                or candidate_positions.direct_position < candidate_positions.first_following_position),
            false
        ) as is_cost_basis,
        case
            when candidates.direct_unattributed_reason is not null then candidates.direct_unattributed_reason
            when placeable.candidate_id is not null then null
            when candidates.is_unused_commitment then 'unused_commitment'
            when coalesce(candidate_positions.has_usage_rule, false) then 'no_usage_driver'
            {%- if has_tag_rule %}
            when candidates.customer_tag is null then 'untagged'
            {%- endif %}
            else 'no_rule'
        end as unattributed_reason

    from candidates
    left join winners
        on candidates.candidate_id = winners.candidate_id
    left join placeable
        on winners.candidate_id = placeable.candidate_id
        and winners.winning_position = placeable.rule_position
    left join candidate_positions
        on candidates.candidate_id = candidate_positions.candidate_id

),

pooled as (

    select
        {{ cost_per_customer.hash_key(pool_columns) }} as pool_id,
        resolved.*

    from resolved

)

select * from pooled
