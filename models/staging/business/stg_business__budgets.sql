{#- One row per budgets.csv record, typed, with the reason it must be quarantined (NULL if good). -#}
with

source_rows as (

    select * from {{ source('business', 'budgets') }}

),

typed as (

    select
        source_rows._decimal_mark,
        source_rows._source_file as source_file,
        source_rows._source_row as source_row,
        {{ cost_per_customer.clean_text('customer_id') }} as customer_id,
        {{ cost_per_customer.segment_name('segment') }} as segment,
        coalesce(upper({{ cost_per_customer.clean_text('currency') }}), '{{ var("cpc_default_currency", "USD") }}') as budget_currency,
        source_rows.month as month_raw,
        source_rows.amount as amount_raw,
        {{ cost_per_customer.parse_decimal('amount') }} as budget_amount,
        {{ cost_per_customer.parse_month('month') }} as budget_month

    from source_rows

),

{# What makes a record unusable on its own; a second budget for the same holder and month is
    judged among the records that pass. -#}
checked as (

    select
        typed.*,
        case
            when typed.customer_id is null and typed.segment is null then 'neither customer_id nor segment'
            when typed.customer_id is not null and typed.segment is not null
                then 'both customer_id and segment (a budget is for one customer or for each customer of one segment)'
            when typed.budget_month is null then 'unparseable month'
            when typed.budget_amount is null
                then concat(
                    'unparseable amount',
                    {{ cost_per_customer.decimal_problem('typed.amount_raw', 'typed._decimal_mark') }}
                )
            when typed.budget_amount < 0 then 'negative amount'
        end as record_problem

    from typed

),

{# Two budgets for the same customer (ids compared case-insensitively) or segment and month
    cannot both hold, and neither is more right: every one of them is quarantined. -#}
classified as (

    select
        checked.*,
        coalesce(
            checked.record_problem,
            case
                when count(*) over (
                    partition by checked.record_problem, lower(checked.customer_id), checked.segment, checked.budget_month
                ) > 1
                    then concat(
                        'more than one budget for ',
                        coalesce(concat('customer ', checked.customer_id), concat('segment ', checked.segment)),
                        ' in ', substring(cast(checked.budget_month as {{ dbt.type_string() }}), 1, 7)
                    )
            end
        ) as quarantine_reason

    from checked

)

select
    source_file,
    source_row,
    customer_id,
    segment,
    budget_currency,
    month_raw,
    amount_raw,
    budget_amount,
    budget_month,
    quarantine_reason

from classified
