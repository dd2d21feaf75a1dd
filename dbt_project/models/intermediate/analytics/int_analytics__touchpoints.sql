{#- The marketing touches an order can be attributed to, one row each: an email
    click (Klaviyo "Clicked Email"), a paid-ad click (a Shopify checkout or
    order whose landing page carries a paid-social UTM or an ad click id: Meta
    exposes no per-person clicks), a lead form (Meta lead), a store visit (a
    Square order) and a web visit (a Shopify checkout or order not from an ad).
    An order is itself the touch of the session that placed it, so its
    touchpoint_id is its order_key. -#}
with

events as (

    select * from {{ ref('customer_events') }}
    where occurred_at <= {{ as_of() }}

),

web_sessions as (

    select
        'shopify:order:' || shopify_order_id as event_id,
        landing_site,
        utm_source,
        utm_medium
    from {{ ref('stg_shopify__orders') }}

    union all

    select
        'shopify:checkout:' || shopify_checkout_id,
        landing_site,
        utm_source,
        utm_medium
    from {{ ref('stg_shopify__checkouts') }}

),

classified as (

    select
        events.event_id as touchpoint_id,
        events.customer_id,
        events.occurred_at as touched_at,
        case
            when events.event_type = 'email_clicked' then 'email_click'
            when events.event_type = 'lead_submitted' then 'ad_lead'
            when events.event_id like 'square:order:%' then 'store_visit'
            when (
                web_sessions.utm_source in ({{ string_list(var('analytics_ad_utm_sources')) }})
                and web_sessions.utm_medium in ({{ string_list(var('analytics_ad_utm_mediums')) }})
            )
            {%- for parameter in var('analytics_ad_click_id_parameters') %}
                or {{ url_parameter('web_sessions.landing_site', parameter) }} is not null
            {%- endfor %}
                then 'ad_click'
            when web_sessions.event_id is not null then 'web_visit'
        end as touch_type
    from events
    left join web_sessions on web_sessions.event_id = events.event_id
    where events.event_type in ('email_clicked', 'lead_submitted')
        or events.event_id like 'square:order:%'
        or web_sessions.event_id is not null

),

final as (

    select
        touchpoint_id,
        customer_id,
        touched_at,
        touch_type,
        case touch_type
            when 'email_click' then 'email'
            when 'ad_click' then 'ads'
            when 'ad_lead' then 'ads'
            when 'store_visit' then 'store'
            else 'web'
        end as touch_channel,
        case
            when touchpoint_id like 'shopify:order:%' or touchpoint_id like 'square:order:%'
            then touchpoint_id
        end as order_key
    from classified

)

select * from final
