{#- The features of a customer-month hold exactly its usage-driven cost: for every customer, month
    and currency, customer_feature_costs_monthly's feature_cost adds up to the allocated cost of
    customer_costs_daily's usage rows (method usage), to the cent and beyond. Returns the
    customer-months that differ or are missing on either side. -#}
with

ledger as (

    select * from {{ ref('customer_costs_daily') }}
    where allocation_method = 'usage'

),

feature_months as (

    select * from {{ ref('customer_feature_costs_monthly') }}

),

expected as (

    select
        {{ cost_per_customer.month_start('ledger.cost_date') }} as month,
        ledger.customer_id,
        ledger.currency,
        sum(ledger.allocated_cost) as usage_cost
    from ledger
    group by 1, 2, 3

),

actual as (

    select
        feature_months.month,
        feature_months.customer_id,
        feature_months.currency,
        sum(feature_months.feature_cost) as feature_cost
    from feature_months
    group by 1, 2, 3

)

select
    expected.month,
    expected.customer_id,
    expected.currency,
    expected.usage_cost,
    actual.feature_cost
from expected
full outer join actual
    on expected.month = actual.month
    and expected.customer_id = actual.customer_id
    and expected.currency = actual.currency
where expected.usage_cost is null
    or actual.feature_cost is null
    or expected.usage_cost <> actual.feature_cost
