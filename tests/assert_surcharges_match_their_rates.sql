{#- Surcharges (allocation.yml `surcharges:`) are new money, so they are checked on their own:
    - each surcharge charge is its charge's EffectiveCost, BilledCost and ListCost times the rate
      (within rounding to money_type's 10 decimals), in the charge's currency;
    - each surcharge reaches the marts whole: what its prorated, converted days carry equals
      allocated + unattributed cost in the marts with that surcharge_name.
    Returns the mismatches. -#}
with

surcharges as (

    select * from {{ ref('int_surcharges') }}

),

charges as (

    select * from {{ ref('int_charges_allocatable') }}

),

rate_mismatches as (

    select
        'rate' as check_name,
        surcharges.charge_id as subject,
        cast(charges.effective_cost as double) * surcharges.surcharge_rate as expected,
        cast(surcharges.effective_cost as double) as actual

    from surcharges
    left join charges
        on surcharges.surcharged_charge_id = charges.charge_id
    where charges.charge_id is null
        or surcharges.billing_currency <> charges.billing_currency
        {%- for column in ['effective_cost', 'billed_cost', 'list_cost'] %}
        or abs(coalesce(cast(surcharges.{{ column }} as double), 0)
            - coalesce(cast(charges.{{ column }} as double), 0) * surcharges.surcharge_rate) > 1e-9
        {%- endfor %}

),

prorated as (

    select
        surcharge_name,
        sum(effective_cost) as prorated_cost
    from {{ ref('int_charges_prorated') }}
    where surcharge_name is not null
    group by surcharge_name

),

in_marts as (

    select
        surcharge_name,
        sum(cost) as mart_cost
    from (
        select
            surcharge_name,
            allocated_cost as cost
        from {{ ref('customer_costs_daily') }}
        where surcharge_name is not null
        union all
        select
            surcharge_name,
            unattributed_cost as cost
        from {{ ref('unattributed_costs_daily') }}
        where surcharge_name is not null
    ) as mart_rows
    group by surcharge_name

),

mart_mismatches as (

    select
        'reaches the marts' as check_name,
        coalesce(prorated.surcharge_name, in_marts.surcharge_name) as subject,
        cast(prorated.prorated_cost as double) as expected,
        cast(in_marts.mart_cost as double) as actual

    from prorated
    full outer join in_marts
        on prorated.surcharge_name = in_marts.surcharge_name
    where {{ cost_per_customer.differs_beyond_tolerance('in_marts.mart_cost', 'prorated.prorated_cost') }}

)

select * from rate_mismatches
union all
select * from mart_mismatches
