{#- One line per customer per month, plus the month's unattributed line, in cents; see _costs__models.yml. -#}
with

customer_months as (

    select * from {{ ref('customer_costs_monthly') }}

),

unattributed_months as (

    select * from {{ ref('unattributed_costs_monthly') }}
    where month is not null

),

billing_months as (

    select * from {{ ref('billing_months') }}

),

lines as (

    select
        customer_months.month,
        customer_months.currency,
        'customer' as line_type,
        customer_months.customer_id,
        customer_months.total_cost as exact_cost

    from customer_months

    union all

    select
        unattributed_months.month,
        unattributed_months.currency,
        'unattributed' as line_type,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        sum(unattributed_months.unattributed_cost) as exact_cost

    from unattributed_months
    group by 1, 2, 3, 4

),

in_cents as (

    select
        lines.*,
        floor(lines.exact_cost * 100) as floor_cents,
        lines.exact_cost * 100 - floor(lines.exact_cost * 100) as remainder_cents

    from lines

),

month_totals as (

    select
        in_cents.month,
        in_cents.currency,
        round(sum(in_cents.exact_cost), 2) as statement_total,
        round(sum(in_cents.exact_cost), 2) * 100 - sum(in_cents.floor_cents) as cents_to_hand_out

    from in_cents
    group by 1, 2

),

ranked as (

    select
        in_cents.*,
        month_totals.statement_total,
        month_totals.cents_to_hand_out,
        row_number() over (
            partition by in_cents.month, in_cents.currency
            order by in_cents.remainder_cents desc, in_cents.line_type asc, in_cents.customer_id asc
        ) as remainder_rank

    from in_cents
    inner join month_totals
        on in_cents.month = month_totals.month
        and in_cents.currency = month_totals.currency

),

final as (

    select
        ranked.month,
        ranked.currency,
        ranked.line_type,
        ranked.customer_id,
        cast(ranked.exact_cost as {{ cost_per_customer.money_type() }}) as exact_cost,
        cast(
            (ranked.floor_cents + case when ranked.remainder_rank <= ranked.cents_to_hand_out then 1 else 0 end) / 100
        as decimal(38, 2)) as statement_cost,
        cast(ranked.statement_total as decimal(38, 2)) as month_statement_total,
        coalesce(billing_months.is_estimated, false) as is_estimated

    from ranked
    left join billing_months
        on ranked.month = billing_months.month

)

select * from final
