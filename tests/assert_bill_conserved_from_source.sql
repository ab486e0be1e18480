{#- Conservation end to end: every readable EffectiveCost in the landed billing files (read straight
    from the source, independently of staging) equals allocated + unattributed in the marts (the
    support-ticket pools, charge_category 'Support', aside), per currency; also fails unless every landed billing row is either prorated (good) or quarantined.
    Returns the mismatching totals. -#}
with

source_totals as (

    select
        coalesce(upper({{ cost_per_customer.clean_text('billing_currency') }}), '{{ var("cpc_default_currency", "USD") }}') as currency,
        sum({{ cost_per_customer.parse_decimal('effective_cost') }}) as source_cost,
        count(*) as source_rows

    from {{ source('focus', 'billing') }}
    group by 1

),

row_accounting as (

    select currency, count(*) as staged_rows
    from (
        select distinct billing_currency as currency, charge_id from {{ ref('int_charges_prorated') }}
        union all
        select currency, concat(source_file, ':', cast(source_row as {{ dbt.type_string() }})) as charge_id
        from {{ ref('quarantined_rows') }} where input_name = 'billing'
    ) as accounted_rows
    group by currency

),

mart_totals as (

    select currency, sum(cost) as mart_cost
    from (
        select currency, allocated_cost as cost from {{ ref('fct_customer_costs') }}
        where coalesce(charge_category, '') <> {{ cost_per_customer.support_charge_category() }}
        union all
        select currency, unattributed_cost as cost from {{ ref('fct_unattributed_costs') }}
        where coalesce(charge_category, '') <> {{ cost_per_customer.support_charge_category() }}
    ) as mart_rows
    group by currency

),

compared as (

    select
        coalesce(source_totals.currency, mart_totals.currency) as currency,
        source_totals.source_cost,
        mart_totals.mart_cost,
        source_totals.source_rows,
        row_accounting.staged_rows

    from source_totals
    full outer join mart_totals
        on source_totals.currency = mart_totals.currency
    left join row_accounting
        on coalesce(source_totals.currency, mart_totals.currency) = row_accounting.currency

)

select * from compared
where {{ cost_per_customer.differs_beyond_tolerance('compared.mart_cost', 'compared.source_cost') }}
    or coalesce(compared.source_rows, 0) <> coalesce(compared.staged_rows, 0)
