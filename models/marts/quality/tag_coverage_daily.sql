{#- One row per billing account x service x day of the cloud bill, with the share of its cost that
    carries the customer tag; see _quality__models.yml. -#}
with

charge_days as (

    select * from {{ ref('int_charges_prorated') }}
    where surcharge_name is null

),

bill_charges as (

    select * from {{ ref('int_charges_allocatable') }}
    where billing_format <> 'other_costs'

),

{# The bill's charge-days (surcharges and other_costs.csv are not on the bill), each with whether
    the tag method can read its customer tag. -#}
audited as (

    select
        charge_days.cost_date,
        charge_days.billing_account_id,
        charge_days.service_name,
        charge_days.billing_currency as currency,
        charge_days.effective_cost,
        charge_days.customer_tag is not null as has_customer_tag

    from charge_days
    inner join bill_charges
        on charge_days.charge_id = bill_charges.charge_id

),

summed as (

    select
        audited.cost_date,
        audited.billing_account_id,
        audited.service_name,
        audited.currency,
        sum(audited.effective_cost) as effective_cost,
        sum(case when audited.has_customer_tag then audited.effective_cost else 0 end) as tagged_cost,
        sum(case when audited.has_customer_tag then 0 else audited.effective_cost end) as untagged_cost,
        sum(case when audited.has_customer_tag then abs(audited.effective_cost) else 0 end) as tagged_gross_cost,
        sum(abs(audited.effective_cost)) as gross_cost

    from audited
    group by 1, 2, 3, 4

),

final as (

    select
        summed.cost_date,
        summed.billing_account_id,
        summed.service_name,
        '{{ cost_per_customer.setting("cpc_customer_tag_key", "customer_id") | replace("'", "''") }}' as customer_tag_key,
        summed.currency,
        cast(summed.effective_cost as {{ cost_per_customer.money_type() }}) as effective_cost,
        cast(summed.tagged_cost as {{ cost_per_customer.money_type() }}) as tagged_cost,
        cast(summed.untagged_cost as {{ cost_per_customer.money_type() }}) as untagged_cost,
        case
            when summed.gross_cost <> 0
                then cast(summed.tagged_gross_cost as double) / cast(summed.gross_cost as double)
        end as tagged_share

    from summed

)

select * from final
