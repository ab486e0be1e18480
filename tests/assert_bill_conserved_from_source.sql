{#- Conservation end to end, from the landed files:
    - every landed billing row of every format reaches staging (row counts of the raw tables equal
      the rows of int_charges_unioned) and is exactly one of: prorated (good), quarantined, or
      superseded (a re-delivery or restatement, listed in superseded_billing_rows);
    - money per billing currency before conversion: the EffectiveCost of the rows that count (good
      plus readable quarantined) equals the source amounts of the rows that were converted (the
      prorated days' effective_cost_in_source_currency plus the quarantined rows' effective_cost);
    - money in the reporting currency: the converted rows (prorated days plus quarantined rows)
      equal allocated + unattributed in the marts (support-ticket pools aside). Surcharges
      (int_surcharges, new money derived from charges) are prorated and converted like charges:
      they count here, but not in the bill's own amounts above (see
      assert_surcharges_match_their_rates).
    Returns the mismatches. -#}
with

landed as (

    select sum(landed_rows) as landed_rows
    from (
        {%- for format in cost_per_customer.billing_formats() %}
        select count(*) as landed_rows from {{ source(format.source, format.table) }}
        {{ "union all" if not loop.last }}
        {%- endfor %}
    ) as landed_tables

),

staged as (

    select
        count(*) as staged_rows,
        sum(case when superseded_reason is not null then 1 else 0 end) as superseded_rows

    from {{ ref('int_charges_deduplicated') }}

),

accounted as (

    select count(*) as accounted_rows
    from (
        {#- a Kubernetes node charge is prorated as its split lines: count the charge once -#}
        select distinct parent_charge_id as charge_id from {{ ref('int_charges_prorated') }}
        where surcharge_name is null
        union all
        select concat(source_file, ':', cast(source_row as {{ dbt.type_string() }})) as charge_id
        from {{ ref('quarantined_rows') }}
        where input_name = 'billing'
    ) as accounted_rows

),

row_check as (

    select
        'rows' as check_name,
        cast(null as {{ dbt.type_string() }}) as currency,
        cast(landed.landed_rows as double) as expected,
        cast(accounted.accounted_rows + staged.superseded_rows as double) as actual

    from landed
    cross join staged
    cross join accounted
    where landed.landed_rows <> staged.staged_rows
        or staged.staged_rows <> accounted.accounted_rows + staged.superseded_rows

),

input_totals as (

    select
        billing_currency as currency,
        sum(effective_cost) as input_cost
    from {{ ref('int_charges_deduplicated') }}
    where superseded_reason is null and effective_cost is not null
    group by billing_currency

),

converted_rows as (

    select
        source_currency,
        effective_cost_in_source_currency as source_cost,
        effective_cost as reporting_cost,
        surcharge_name is not null as is_surcharge
    from {{ ref('int_charges_prorated') }}
    union all
    select
        currency as source_currency,
        effective_cost as source_cost,
        effective_cost_in_reporting_currency as reporting_cost,
        false as is_surcharge
    from {{ ref('quarantined_rows') }}
    where input_name = 'billing' and effective_cost is not null

),

source_totals as (

    select
        source_currency as currency,
        sum(source_cost) as source_cost
    from converted_rows
    where not is_surcharge
    group by source_currency

),

source_money_check as (

    select
        'money in billing currency' as check_name,
        coalesce(input_totals.currency, source_totals.currency) as currency,
        cast(input_totals.input_cost as double) as expected,
        cast(source_totals.source_cost as double) as actual

    from input_totals
    full outer join source_totals
        on input_totals.currency = source_totals.currency
    where input_totals.input_cost is null
        or source_totals.source_cost is null
        or input_totals.input_cost <> source_totals.source_cost

),

converted_total as (

    select
        '{{ cost_per_customer.reporting_currency() }}' as currency,
        sum(reporting_cost) as converted_cost
    from converted_rows

),

mart_totals as (

    select
        currency,
        sum(cost) as mart_cost
    from (
        select
            currency,
            allocated_cost as cost
        from {{ ref('customer_costs_daily') }}
        where coalesce(charge_category, '') <> {{ cost_per_customer.support_charge_category() }}
        union all
        select
            currency,
            unattributed_cost as cost
        from {{ ref('unattributed_costs_daily') }}
        where coalesce(charge_category, '') <> {{ cost_per_customer.support_charge_category() }}
    ) as mart_rows
    group by currency

),

reporting_money_check as (

    select
        'money in reporting currency' as check_name,
        coalesce(converted_total.currency, mart_totals.currency) as currency,
        cast(converted_total.converted_cost as double) as expected,
        cast(mart_totals.mart_cost as double) as actual

    from converted_total
    full outer join mart_totals
        on converted_total.currency = mart_totals.currency
    where {{ cost_per_customer.differs_beyond_tolerance('mart_totals.mart_cost', 'converted_total.converted_cost') }}

)

select * from row_check
union all
select * from source_money_check
union all
select * from reporting_money_check
