{#- One row per node charge: a good Compute charge whose ResourceId is a node of k8s_usage. -#}
with

charges as (

    select * from {{ ref('int_charges_deduplicated') }}
    where quarantine_reason is null and superseded_reason is null

),

usage_rows as (

    select * from {{ ref('int_kubernetes_usage_mapped') }}

),

nodes as (

    select
        node_id,
        max(node_key) as node_key

    from usage_rows
    group by node_id

),

{# Charges that can be a node's: Compute, one resource, a period of some length, not unused
    commitment, not placed already. -#}
candidate_charges as (

    select
        charges.charge_id,
        charges.resource_id,
        {{ cost_per_customer.last_path_segment('charges.resource_id') }} as resource_key,
        charges.charge_period_start_at,
        charges.charge_period_end_at

    from charges
    where charges.resource_id is not null
        and charges.charge_period_end_at > charges.charge_period_start_at
        and charges.service_category = 'Compute'
        and not charges.is_unused_commitment
        and charges.direct_customer_id is null

),

{# A node matches its exact ResourceId first, else the same last path segment (ARN, providerID). -#}
node_matches as (

    select
        candidate_charges.charge_id,
        nodes.node_id,
        1 as match_rank

    from candidate_charges
    inner join nodes
        on candidate_charges.resource_id = nodes.node_id

    union all

    select
        candidate_charges.charge_id,
        nodes.node_id,
        2 as match_rank

    from candidate_charges
    inner join nodes
        on candidate_charges.resource_key = nodes.node_key

),

ranked_node_matches as (

    select
        node_matches.charge_id,
        node_matches.node_id,
        row_number() over (
            partition by node_matches.charge_id
            order by node_matches.match_rank, node_matches.node_id
        ) as node_rank

    from node_matches

),

node_charges as (

    select
        candidate_charges.charge_id,
        ranked_node_matches.node_id,
        candidate_charges.charge_period_start_at,
        candidate_charges.charge_period_end_at

    from candidate_charges
    inner join ranked_node_matches
        on candidate_charges.charge_id = ranked_node_matches.charge_id
    where ranked_node_matches.node_rank = 1

)

select * from node_charges
