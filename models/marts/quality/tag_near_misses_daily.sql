{#- One row per billing account x service x day x tag key that nearly matches the customer tag
    key, with the untagged cost carrying it; see _quality__models.yml. -#}
with

charge_days as (

    select * from {{ ref('int_charges_prorated') }}
    where surcharge_name is null
        and customer_tag is null

),

bill_charges as (

    select * from {{ ref('int_charges_allocatable') }}
    where billing_format <> 'other_costs'
        and customer_tag is null

),

{# Each untagged charge of the bill once per near-miss key it carries. -#}
charge_keys as (

    select
        bill_charges.charge_id,
        {{ cost_per_customer.explode_list(
            cost_per_customer.near_miss_tag_keys('bill_charges.tags_map', cost_per_customer.setting('cpc_customer_tag_key', 'customer_id'))
        ) }} as tag_key

    from bill_charges

),

keyed_days as (

    select
        charge_days.cost_date,
        charge_days.billing_account_id,
        charge_days.service_name,
        charge_keys.tag_key,
        charge_days.billing_currency as currency,
        charge_days.charge_id,
        charge_days.effective_cost

    from charge_days
    inner join charge_keys
        on charge_days.charge_id = charge_keys.charge_id

),

final as (

    select
        keyed_days.cost_date,
        keyed_days.billing_account_id,
        keyed_days.service_name,
        keyed_days.tag_key,
        '{{ cost_per_customer.setting("cpc_customer_tag_key", "customer_id") | replace("'", "''") }}' as customer_tag_key,
        keyed_days.currency,
        cast(sum(keyed_days.effective_cost) as {{ cost_per_customer.money_type() }}) as untagged_cost,
        cast(count(distinct keyed_days.charge_id) as bigint) as charge_count

    from keyed_days
    group by 1, 2, 3, 4, 5, 6

)

select * from final
