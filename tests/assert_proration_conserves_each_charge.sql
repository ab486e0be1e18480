{#- Proration conserves money in the charge's own currency: for every prorated charge, its days'
    EffectiveCost, BilledCost and ListCost before conversion (the *_in_source_currency columns) add
    up exactly to the charge's (a surcharge's too), and every day keeps the charge's currency. (That no good charge is
    missing is checked by assert_bill_conserved_from_source; a Kubernetes node charge is checked as
    its split lines here, and the lines against the charge by
    assert_kubernetes_split_conserves_each_node_charge; that every day was converted, by
    assert_charges_have_fx_rates.) Only the charges touching the span of days this build allocates
    are summed again (every charge on a full build): the days of the others were checked when they
    were written. Returns the charges that do not add up. -#}
with

charges as (

    select
        charge_id,
        billing_currency,
        effective_cost,
        billed_cost,
        list_cost
    from {{ ref('int_charges_with_surcharges') }}
    where {{ cost_per_customer.touches_days_to_process('charge_period_start_at', 'charge_period_end_at') }}

),

charge_days as (

    select * from {{ ref('int_charges_prorated') }}

),

days_summed as (

    select
        charge_days.charge_id,
        min(charge_days.source_currency) as source_currency,
        count(distinct charge_days.source_currency) as currency_count,
        sum(charge_days.effective_cost_in_source_currency) as effective_cost,
        sum(charge_days.billed_cost_in_source_currency) as billed_cost,
        sum(charge_days.list_cost_in_source_currency) as list_cost,
        count(*) as day_count

    from charge_days
    inner join charges
        on charge_days.charge_id = charges.charge_id
    group by charge_days.charge_id

)

select
    charges.charge_id,
    charges.billing_currency as charge_currency,
    days_summed.source_currency as days_currency,
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
    or days_summed.currency_count <> 1
    or days_summed.source_currency <> charges.billing_currency
