{#- When each customer last did something (var('engagement_event_types'): opened
    or clicked an email, viewed a product, bought, filed a ticket, ...), and on
    which channel: one row per customer who ever engaged. A received email is
    not engagement; events after as_of() (a pinned backfill) do not count. -#}
with

events as (

    select * from {{ ref('customer_events') }}
    where occurred_at <= {{ as_of() }}
        and event_type in ({{ sql_list(var('engagement_event_types')) }})

),

ranked as (

    select
        customer_id,
        occurred_at,
        channel,
        row_number() over (partition by customer_id order by occurred_at desc, event_id) as recency
    from events

),

final as (

    select
        customer_id,
        max(case when recency = 1 then occurred_at end) as last_engaged_at,
        max(case when recency = 1 then channel end) as last_engaged_channel,
        min(occurred_at) as first_engaged_at,
        count(*) as engagements
    from ranked
    group by customer_id

)

select * from final
