{#- The tag audit neither creates nor loses money: for every day, tag_coverage_daily's tagged and
    untagged cost add up to its effective_cost, and both to the day's EffectiveCost of the bill's
    charge-days (int_charges_prorated without surcharges and without other_costs.csv rows, which
    are not on the bill). Returns the days that do not add up. -#}
with

other_costs as (

    select charge_id from {{ ref('int_charges_deduplicated') }}
    where billing_format = 'other_costs'

),

billed as (

    select
        charge_days.cost_date,
        sum(charge_days.effective_cost) as billed_cost

    from {{ ref('int_charges_prorated') }} as charge_days
    left join other_costs
        on charge_days.charge_id = other_costs.charge_id
    where charge_days.surcharge_name is null
        and other_costs.charge_id is null
    group by charge_days.cost_date

),

audited as (

    select
        cost_date,
        sum(effective_cost) as effective_cost,
        sum(tagged_cost) + sum(untagged_cost) as covered_and_uncovered_cost

    from {{ ref('tag_coverage_daily') }}
    group by cost_date

)

select
    coalesce(billed.cost_date, audited.cost_date) as cost_date,
    billed.billed_cost,
    audited.effective_cost,
    audited.covered_and_uncovered_cost

from billed
full outer join audited
    on billed.cost_date = audited.cost_date
where billed.cost_date is null
    or audited.cost_date is null
    or billed.billed_cost <> audited.effective_cost
    or billed.billed_cost <> audited.covered_and_uncovered_cost
