{#- Revenue by journey stage, month by month: each purchase's net revenue goes
    to the stage that purchase puts the customer in (the 1st: first_purchase;
    the 2nd up to analytics_loyal_min_purchases - 1: repeat; from then on:
    loyal), and each stage counts the customers in it at the month's end (see
    int_analytics__customer_stages). Leads have not bought: their row counts
    customers, with no revenue (their conversions are first_purchase revenue). -#}
with

stages as (

    select * from {{ ref('int_analytics__customer_stages') }}

),

purchases as (

    select * from {{ ref('int_analytics__purchases') }}

),

purchase_stages as (

    select
        cast({{ dbt.date_trunc('month', 'ordered_at') }} as date) as month,
        case
            when purchase_number >= {{ var('analytics_loyal_min_purchases') }} then 'loyal'
            when purchase_number >= 2 then 'repeat'
            else 'first_purchase'
        end as stage,
        customer_id,
        net_revenue
    from purchases

),

revenue as (

    select
        month,
        stage,
        count(*) as purchases,
        count(distinct customer_id) as buying_customers,
        sum(net_revenue) as net_revenue
    from purchase_stages
    group by month, stage

),

headcount as (

    select
        month,
        stage,
        count(*) as customers_at_month_end,
        count(case when previous_stage <> stage then 1 end) as customers_entered
    from stages
    group by month, stage

),

cells as (

    select month, stage from headcount
    union
    select month, stage from revenue

),

final as (

    select
        cast(cast(cells.month as {{ type_varchar() }}) || ':' || cells.stage as {{ type_varchar() }}) as journey_stage_month_id,
        cast(cells.month as date) as month,
        cast(cells.stage as {{ type_varchar() }}) as stage,
        cast(case cells.stage
            when 'lead' then 1 when 'first_purchase' then 2 when 'repeat' then 3 else 4
        end as integer) as stage_order,
        cast(coalesce(headcount.customers_at_month_end, 0) as bigint) as customers_at_month_end,
        cast(coalesce(headcount.customers_entered, 0) as bigint) as customers_entered,
        cast(coalesce(revenue.purchases, 0) as bigint) as purchases,
        cast(coalesce(revenue.buying_customers, 0) as bigint) as buying_customers,
        cast(coalesce(revenue.net_revenue, 0) as decimal(18, 2)) as net_revenue
    from cells
    left join headcount on headcount.month = cells.month and headcount.stage = cells.stage
    left join revenue on revenue.month = cells.month and revenue.stage = cells.stage

)

select * from final
