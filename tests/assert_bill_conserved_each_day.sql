{#- Conservation, per day, in the reporting currency: the input bill's EffectiveCost converted at
    the day's rate (good rows prorated to days, plus quarantined rows on their own date), the
    surcharges derived from charges (prorated like them), and the priced support tickets (converted likewise) equal what the ledger allocated to customers plus
    what it left unattributed, and everything is in the reporting currency. Returns the days that do
    not add up. (An amount that could not be converted fails assert_charges_have_fx_rates.) -#}
with

input_rows as (

    select
        cost_date,
        billing_currency as currency,
        effective_cost
    from {{ ref('int_charges_prorated') }}
    union all
    select
        cost_date,
        '{{ cost_per_customer.reporting_currency() }}' as currency,
        effective_cost_in_reporting_currency as effective_cost
    from {{ ref('quarantined_rows') }}
    where input_name = 'billing'
    union all
    select
        cost_date,
        currency,
        support_cost as effective_cost
    from {{ ref('int_support_costs') }}
    where is_priced

),

input_by_day as (

    select
        cost_date,
        sum(effective_cost) as input_cost,
        sum(case when currency = '{{ cost_per_customer.reporting_currency() }}' then 0 else 1 end) as other_currency_rows

    from input_rows
    group by cost_date

),

output_rows as (

    select
        cost_date,
        currency,
        allocated_cost as cost
    from {{ ref('customer_costs_daily') }}
    union all
    select
        cost_date,
        currency,
        unattributed_cost as cost
    from {{ ref('unattributed_costs_daily') }}

),

output_by_day as (

    select
        cost_date,
        sum(cost) as output_cost,
        sum(case when currency = '{{ cost_per_customer.reporting_currency() }}' then 0 else 1 end) as other_currency_rows

    from output_rows
    group by cost_date

),

compared as (

    select
        coalesce(input_by_day.cost_date, output_by_day.cost_date) as cost_date,
        input_by_day.input_cost,
        output_by_day.output_cost,
        coalesce(input_by_day.other_currency_rows, 0) + coalesce(output_by_day.other_currency_rows, 0) as other_currency_rows

    from input_by_day
    full outer join output_by_day
        on input_by_day.cost_date = output_by_day.cost_date
        or (input_by_day.cost_date is null and output_by_day.cost_date is null)

)

select * from compared
where {{ cost_per_customer.differs_beyond_tolerance('compared.output_cost', 'compared.input_cost') }}
    or compared.other_currency_rows > 0
