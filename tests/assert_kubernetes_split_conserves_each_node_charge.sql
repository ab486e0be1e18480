{#- The Kubernetes split conserves every good charge: each charge of int_charges_deduplicated that is
    neither quarantined nor superseded is in int_charges_allocatable, either passed through (one row, its
    own charge_id) or as lines whose EffectiveCost, BilledCost, ListCost and ContractedCost add up
    exactly to its own, all in its currency; and no row of int_charges_allocatable lacks such a parent.
    Only the charges and lines touching the span of days this build allocates are read (a line has
    its charge's period; every charge on a full build): a split that changes changes the charges
    fingerprint of its days, which are then allocated again. Returns one row per charge that breaks
    this, with what is wrong. -#}
{%- set amounts = ['effective_cost', 'billed_cost', 'list_cost', 'contracted_cost'] -%}
with

charges as (

    select * from {{ ref('int_charges_deduplicated') }}
    where quarantine_reason is null and superseded_reason is null
        and {{ cost_per_customer.touches_days_to_process('charge_period_start_at', 'charge_period_end_at') }}

),

split_rows as (

    select * from {{ ref('int_charges_allocatable') }}
    where {{ cost_per_customer.touches_days_to_process('charge_period_start_at', 'charge_period_end_at') }}

),

lines_summed as (

    select
        split_rows.parent_charge_id,
        count(*) as line_count,
        sum(case when split_rows.charge_id = split_rows.parent_charge_id then 1 else 0 end) as pass_through_count,
        count(distinct split_rows.billing_currency) as currency_count,
        min(split_rows.billing_currency) as billing_currency,
        {%- for amount in amounts %}
        count(split_rows.{{ amount }}) as {{ amount }}_count,
        sum(split_rows.{{ amount }}) as {{ amount }}{{ "," if not loop.last }}
        {%- endfor %}

    from split_rows
    group by split_rows.parent_charge_id

),

compared as (

    select
        coalesce(charges.charge_id, lines_summed.parent_charge_id) as charge_id,
        lines_summed.line_count,
        charges.effective_cost as charge_effective_cost,
        lines_summed.effective_cost as lines_effective_cost,
        case
            when charges.charge_id is null then 'lines without a good parent charge'
            when lines_summed.parent_charge_id is null then 'charge missing from int_charges_allocatable'
            when lines_summed.pass_through_count > 0 and lines_summed.line_count > 1 then 'charge both passed through and split'
            when lines_summed.currency_count <> 1 or lines_summed.billing_currency <> charges.billing_currency
                then 'lines in another currency'
            {%- for amount in amounts %}
            when (charges.{{ amount }} is null and lines_summed.{{ amount }}_count > 0)
                or (charges.{{ amount }} is not null and lines_summed.{{ amount }}_count < lines_summed.line_count)
                or lines_summed.{{ amount }} <> charges.{{ amount }} then '{{ amount }} does not add up'
            {%- endfor %}
        end as problem

    from charges
    full outer join lines_summed
        on charges.charge_id = lines_summed.parent_charge_id

)

select * from compared
where problem is not null
