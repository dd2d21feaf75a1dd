{#- One row per customer x calendar month from the month they entered the
    journey (their first Meta lead or first purchase) to now: the journey stage
    they are in at the end of that month and the one they were in at the end of
    the month before ('new' when they entered this month). Stages by purchases
    made by then: lead (none yet), first_purchase (1), repeat (2 up to
    analytics_loyal_min_purchases - 1), loyal (at least
    analytics_loyal_min_purchases). Months are those of the timeline (any
    event), so a quiet customer still has a row each month. -#}
with

events as (

    select * from {{ ref('customer_events') }}
    where occurred_at <= {{ as_of() }}

),

purchases as (

    select * from {{ ref('int_analytics__purchases') }}

),

months as (

    select distinct cast({{ dbt.date_trunc('month', 'occurred_at') }} as date) as month
    from events

),

entries as (

    select customer_id, min(occurred_at) as entered_at
    from (
        select customer_id, occurred_at from events where event_type = 'lead_submitted'
        union all
        select customer_id, ordered_at from purchases
    ) as starts
    group by customer_id

),

monthly_purchases as (

    select
        customer_id,
        cast({{ dbt.date_trunc('month', 'ordered_at') }} as date) as month,
        count(*) as purchases_in_month,
        sum(net_revenue) as net_revenue_in_month
    from purchases
    group by customer_id, cast({{ dbt.date_trunc('month', 'ordered_at') }} as date)

),

customer_months as (

    select
        entries.customer_id,
        months.month,
        coalesce(monthly_purchases.purchases_in_month, 0) as purchases_in_month,
        coalesce(monthly_purchases.net_revenue_in_month, 0) as net_revenue_in_month
    from entries
    inner join months
        on months.month >= cast({{ dbt.date_trunc('month', 'entries.entered_at') }} as date)
    left join monthly_purchases
        on monthly_purchases.customer_id = entries.customer_id
        and monthly_purchases.month = months.month

),

cumulative as (

    select
        *,
        sum(purchases_in_month) over (
            partition by customer_id order by month rows between unbounded preceding and current row
        ) as purchases_by_month_end
    from customer_months

),

staged as (

    select
        *,
        case
            when purchases_by_month_end >= {{ var('analytics_loyal_min_purchases') }} then 'loyal'
            when purchases_by_month_end >= 2 then 'repeat'
            when purchases_by_month_end = 1 then 'first_purchase'
            else 'lead'
        end as stage
    from cumulative

),

final as (

    select
        customer_id || ':' || cast(month as {{ type_varchar() }}) as customer_stage_id,
        customer_id,
        month,
        stage,
        coalesce(lag(stage) over (partition by customer_id order by month), 'new') as previous_stage,
        purchases_in_month,
        net_revenue_in_month,
        purchases_by_month_end
    from staged

)

select * from final
