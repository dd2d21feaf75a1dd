{#- One row per journey a customer started, and whether and when they finished it:
    - cart_to_purchase: an abandoned Shopify checkout, completed by the
      customer's next purchase (web or store) within analytics_cart_window_days
      (a purchase at exactly that many days counts, one second later does not);
    - lead_to_first_purchase: a Meta lead form from someone who had not bought
      yet, completed by their first purchase within analytics_lead_window_days.
    A journey whose window has not closed by now and is not completed is open. -#}
with

events as (

    select * from {{ ref('customer_events') }}
    where occurred_at <= {{ as_of() }}

),

purchases as (

    select * from {{ ref('int_analytics__purchases') }}

),

first_purchases as (

    select customer_id, ordered_at as first_purchase_at
    from purchases
    where is_first_purchase

),

starts as (

    select
        'cart_to_purchase' as journey,
        event_id as started_by,
        customer_id,
        occurred_at as started_at,
        {{ var('analytics_cart_window_days') }} as window_days
    from events
    where event_type in ('checkout_abandoned', 'checkout_completed')

    union all

    select
        'lead_to_first_purchase',
        events.event_id,
        events.customer_id,
        events.occurred_at,
        {{ var('analytics_lead_window_days') }}
    from events
    left join first_purchases on first_purchases.customer_id = events.customer_id
    where events.event_type = 'lead_submitted'
        and (first_purchases.first_purchase_at is null
            or first_purchases.first_purchase_at > events.occurred_at)

),

windows as (

    select
        *,
        {{ dbt.dateadd('day', 'window_days', 'started_at') }} as window_ends_at
    from starts

),

completions as (

    select
        windows.journey,
        windows.started_by,
        purchases.order_key,
        purchases.ordered_at,
        row_number() over (
            partition by windows.journey, windows.started_by
            order by purchases.ordered_at, purchases.order_key
        ) as completion_rank
    from windows
    inner join purchases
        on purchases.customer_id = windows.customer_id
        and purchases.ordered_at > windows.started_at
        and purchases.ordered_at <= windows.window_ends_at
        and (windows.journey = 'cart_to_purchase' or purchases.is_first_purchase)

),

final as (

    select
        windows.journey || ':' || windows.started_by as journey_id,
        windows.journey,
        windows.started_by,
        windows.customer_id,
        windows.started_at,
        windows.window_days,
        windows.window_ends_at,
        completions.order_key as completed_by_order_key,
        completions.ordered_at as completed_at,
        completions.order_key is not null as is_completed,
        completions.order_key is null and windows.window_ends_at > {{ as_of() }} as is_open,
        cast({{ dbt.datediff('windows.started_at', 'completions.ordered_at', 'second') }} as {{ type_double() }})
            / 3600 as hours_to_complete
    from windows
    left join completions
        on completions.journey = windows.journey
        and completions.started_by = windows.started_by
        and completions.completion_rank = 1

)

select * from final
