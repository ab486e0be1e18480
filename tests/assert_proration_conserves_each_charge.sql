{#- Proration conserves money: for every prorated charge, its days' EffectiveCost, BilledCost and
    ListCost add up exactly to the charge's. (That no good charge is missing is checked by
    assert_bill_conserved_from_source.) Returns the charges that do not add up. -#}
with

charges as (

    select charge_id, effective_cost, billed_cost, list_cost
    from {{ ref('stg_focus__charges') }}

),

days_summed as (

    select
        charge_id,
        sum(effective_cost) as effective_cost,
        sum(billed_cost) as billed_cost,
        sum(list_cost) as list_cost,
        count(*) as day_count

    from {{ ref('int_charges_prorated') }}
    group by charge_id

)

select
    charges.charge_id,
    charges.effective_cost as charge_effective_cost,
    days_summed.effective_cost as days_effective_cost,
    charges.billed_cost as charge_billed_cost,
    days_summed.billed_cost as days_billed_cost

from days_summed
inner join charges
    on days_summed.charge_id = charges.charge_id
where days_summed.effective_cost <> charges.effective_cost
    or coalesce(days_summed.billed_cost, 0) <> coalesce(charges.billed_cost, 0)
    or coalesce(days_summed.list_cost, 0) <> coalesce(charges.list_cost, 0)
