{#- One row per allocation candidate: the first rule in order that can place it (none when no rule can), and what decides its fate. -#}
{%- set following_rules = cost_per_customer.cost_following_rules() -%}
with

candidates as (

    select * from {{ ref('int_cost_candidates_grouped') }}

),

options as (

    select * from {{ ref('int_candidate_rule_options_resolved') }}

),

candidate_positions as (

    select
        options.candidate_id,
        min(case when options.is_placeable_directly then options.rule_position end) as direct_position,
        min(
            case when options.allocation_method = 'proportional_to_cost' then options.rule_position end
        ) as first_following_position,
        max(case when options.allocation_method = 'usage' then 1 else 0 end) = 1 as has_usage_rule

    from options
    group by options.candidate_id

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
        options.*,
        options.is_placeable_directly
            or (options.allocation_method = 'proportional_to_cost' and coalesce(cost_basis.basis_cost, 0) > 0)
            as is_placeable

    from options
    left join cost_basis
        on options.rule_position = cost_basis.rule_position
        and options.cost_date = cost_basis.cost_date
        and cost_basis.billing_account_key in ('*', coalesce(options.billing_account_id, ''))

),

winners as (

    select
        placeable.candidate_id,
        min(placeable.rule_position) as winning_position

    from placeable
    where placeable.is_placeable
    group by placeable.candidate_id

),

winning_rules as (

    select
        candidates.candidate_id,
        placeable.rule_position,
        placeable.rule_name,
        placeable.rule_version,
        placeable.allocation_method,
        placeable.driver_metric,
        placeable.driver_level,
        placeable.driver_value,
        placeable.driver_service,
        coalesce(
            candidate_positions.direct_position is not null
            and placeable.rule_position = candidate_positions.direct_position
            and (candidate_positions.first_following_position is null
                or candidate_positions.direct_position < candidate_positions.first_following_position),
            false
        ) as is_cost_basis,
        coalesce(candidate_positions.has_usage_rule, false) as has_usage_rule

    from candidates
    left join winners
        on candidates.candidate_id = winners.candidate_id
    left join placeable
        on winners.candidate_id = placeable.candidate_id
        and winners.winning_position = placeable.rule_position
    left join candidate_positions
        on candidates.candidate_id = candidate_positions.candidate_id

)

select * from winning_rules
