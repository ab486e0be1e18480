{#- Conservation, per day: the input bill's EffectiveCost (good rows prorated to days, plus
    quarantined rows on their own date) and the priced support tickets equal what the ledger
    allocated to customers plus what it left unattributed. Returns the days that do not add up. -#}
with

input_by_day as (

    select cost_date, sum(effective_cost) as input_cost
    from (
        select cost_date, effective_cost from {{ ref('int_charges_prorated') }}
        union all
        select cost_date, effective_cost from {{ ref('quarantined_rows') }} where input_name = 'billing'
        union all
        select cost_date, support_cost as effective_cost from {{ ref('int_support_costs') }} where is_priced
    ) as input_rows
    group by cost_date

),

output_by_day as (

    select cost_date, sum(cost) as output_cost
    from (
        select cost_date, allocated_cost as cost from {{ ref('fct_customer_costs') }}
        union all
        select cost_date, unattributed_cost as cost from {{ ref('fct_unattributed_costs') }}
    ) as output_rows
    group by cost_date

),

compared as (

    select
        coalesce(input_by_day.cost_date, output_by_day.cost_date) as cost_date,
        input_by_day.input_cost,
        output_by_day.output_cost

    from input_by_day
    full outer join output_by_day
        on input_by_day.cost_date = output_by_day.cost_date
        or (input_by_day.cost_date is null and output_by_day.cost_date is null)

)

select * from compared
where {{ cost_per_customer.differs_beyond_tolerance('compared.output_cost', 'compared.input_cost') }}
