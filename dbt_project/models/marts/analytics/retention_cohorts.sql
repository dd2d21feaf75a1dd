{#- Repeat purchase by cohort: customers grouped by the month of their first
    purchase and by how many channels they engage on, and how many of them
    bought again (a second purchase, web or store, by now). Rows add up:
    summing customers and repeat_customers over channel bands gives a cohort. -#}
with

purchases as (

    select * from {{ ref('int_analytics__purchases') }}

),

profiles as (

    select * from {{ ref('int_analytics__customer_profile') }}

),

buyers as (

    select
        customer_id,
        min(case when purchase_number = 1 then ordered_at end) as first_purchase_at,
        min(case when purchase_number = 2 then ordered_at end) as second_purchase_at
    from purchases
    group by customer_id

),

cohorts as (

    select
        cast({{ dbt.date_trunc('month', 'buyers.first_purchase_at') }} as date) as cohort_month,
        profiles.channel_band,
        buyers.customer_id,
        buyers.second_purchase_at is not null as is_repeat,
        {{ dbt.datediff('buyers.first_purchase_at', 'buyers.second_purchase_at', 'second') }}
            as seconds_to_second_purchase
    from buyers
    inner join profiles on profiles.customer_id = buyers.customer_id

),

final as (

    select
        cast(cohort_month as date) as cohort_month,
        cast(channel_band as {{ type_varchar() }}) as channel_band,
        cast(count(*) as bigint) as customers,
        cast(count(case when is_repeat then 1 end) as bigint) as repeat_customers,
        cast(count(case when is_repeat then 1 end) as {{ type_double() }}) / count(*) as repeat_rate,
        cast(avg(seconds_to_second_purchase) as {{ type_double() }}) / 86400 as avg_days_to_second_purchase
    from cohorts
    group by cohort_month, channel_band

)

select * from final
