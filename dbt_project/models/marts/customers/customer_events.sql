{#- Every interaction on every channel, one chronological timeline keyed by
    customer_id. `channel` is where it happened (email, ads, web, store,
    support); `event_type` what happened. -#}
with

assignments as (

    select record_key, customer_id
    from {{ ref('int_identity__assignments') }}
    where is_current

),

-- an order's revenue net of refunds and returns (a store return of an online
-- order is taken off the online order), as customers counts it
order_revenue as (

    select order_key, net_revenue
    from {{ ref('int_customers__orders') }}

),

email_events as (

    select
        'klaviyo:event:' || klaviyo_event_id as event_id,
        'klaviyo:profile:' || klaviyo_profile_id as record_key,
        occurred_at,
        -- Klaviyo also tracks browsing on the shop (Viewed Product): that is the web
        case when event_type = 'product_viewed' then 'web' else 'email' end as channel,
        event_type,
        'klaviyo' as platform,
        cast(null as decimal(18, 2)) as revenue,
        case
            when event_type = 'product_viewed' then product_category || ': product ' || product_id
            else coalesce(campaign_name, metric_name)
        end as detail
    from {{ ref('stg_klaviyo__events') }}

),

leads as (

    select
        'meta_ads:lead:' || meta_lead_id,
        'meta_ads:lead:' || meta_lead_id,
        created_at,
        'ads',
        'lead_submitted',
        'meta_ads',
        cast(null as decimal(18, 2)),
        'form ' || meta_form_id
    from {{ ref('stg_meta_ads__leads') }}

),

web_orders as (

    select
        'shopify:order:' || shopify_order_id,
        'shopify:customer:' || shopify_customer_id,
        ordered_at,
        'web',
        'order_placed',
        'shopify',
        order_revenue.net_revenue,
        order_name
    from {{ ref('stg_shopify__orders') }} as orders
    left join order_revenue on order_revenue.order_key = 'shopify:order:' || orders.shopify_order_id
    where shopify_customer_id is not null

),

checkouts as (

    select
        'shopify:checkout:' || shopify_checkout_id,
        'shopify:customer:' || shopify_customer_id,
        created_at,
        'web',
        case when is_completed then 'checkout_completed' else 'checkout_abandoned' end,
        'shopify',
        cast(null as decimal(18, 2)),
        cast(total_price as {{ type_varchar() }}) || ' ' || coalesce(currency, '')
    from {{ ref('stg_shopify__checkouts') }}
    where shopify_customer_id is not null

),

store_orders as (

    select
        'square:order:' || square_order_id,
        'square:customer:' || square_customer_id,
        ordered_at,
        'store',
        case
            when is_return_only then 'order_returned'
            when order_state = 'COMPLETED' then 'order_placed'
            else 'order_' || lower(order_state)
        end,
        'square',
        order_revenue.net_revenue,
        'location ' || location_id
    from {{ ref('stg_square__orders') }} as orders
    left join order_revenue on order_revenue.order_key = 'square:order:' || orders.square_order_id
    where square_customer_id is not null

),

loyalty as (

    select
        'square:loyalty_account:' || square_loyalty_account_id,
        'square:customer:' || square_customer_id,
        enrolled_at,
        'store',
        'loyalty_enrolled',
        'square',
        cast(null as decimal(18, 2)),
        cast(points_balance as {{ type_varchar() }}) || ' points'
    from {{ ref('stg_square__loyalty_accounts') }}
    where square_customer_id is not null

),

tickets as (

    select
        'zendesk:ticket:' || zendesk_ticket_id,
        'zendesk:user:' || zendesk_user_id,
        created_at,
        'support',
        'ticket_opened',
        'zendesk',
        cast(null as decimal(18, 2)),
        subject
    from {{ ref('stg_zendesk__tickets') }}

),

ratings as (

    select
        'zendesk:satisfaction_rating:' || zendesk_satisfaction_rating_id,
        'zendesk:user:' || zendesk_user_id,
        rated_at,
        'support',
        'csat_' || score,
        'zendesk',
        cast(null as decimal(18, 2)),
        comment
    from {{ ref('stg_zendesk__satisfaction_ratings') }}

),

unioned as (

    select * from email_events
    union all select * from leads
    union all select * from web_orders
    union all select * from checkouts
    union all select * from store_orders
    union all select * from loyalty
    union all select * from tickets
    union all select * from ratings

)

select
    unioned.event_id,
    assignments.customer_id,
    unioned.occurred_at,
    unioned.channel,
    unioned.event_type,
    unioned.platform,
    unioned.record_key as source_record_key,
    cast(unioned.revenue as decimal(18, 2)) as revenue,
    unioned.detail
from unioned
inner join assignments on assignments.record_key = unioned.record_key
