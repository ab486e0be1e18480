{#- Until currency conversion exists, a bill in several currencies cannot be summed: fail, listing
    the currencies and their row counts, rather than add dollars to euros. -#}
with

currencies as (

    select billing_currency, count(*) as charge_count
    from {{ ref('stg_focus__charges') }}
    group by billing_currency

)

select *
from currencies
where (select count(*) from currencies) > 1
