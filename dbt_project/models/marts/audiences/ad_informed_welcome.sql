{#- Play 2, ad-informed welcome: for each email subscriber, the ad that touched
    them last before they subscribed - a paid-ad click (a landing page with a
    paid-social UTM or Meta's click id; its utm_campaign names the campaign) or
    a Meta lead form (campaign, ad and form ids) - written to their Klaviyo
    profile so the welcome series can speak to what brought them. "Subscribed"
    is the newest consent statement, which `customers` already keeps; a touch at
    that very moment counts (a lead form that gave the consent). One row per
    subscriber with such a touch. -#}
with

customers as (

    select * from {{ ref('customers') }}
    where email_marketing_consent

),

touches as (

    select * from {{ ref('int_analytics__touchpoints') }}
    where touch_type in ('ad_click', 'ad_lead')

),

leads as (

    select * from {{ ref('stg_meta_ads__leads') }}

),

campaigns as (

    select * from {{ ref('stg_meta_ads__campaigns') }}

),

sessions as (

    select 'shopify:order:' || shopify_order_id as touchpoint_id, utm_campaign
    from {{ ref('stg_shopify__orders') }}

    union all

    select 'shopify:checkout:' || shopify_checkout_id, utm_campaign
    from {{ ref('stg_shopify__checkouts') }}

),

before_subscribing as (

    select
        touches.*,
        row_number() over (
            partition by touches.customer_id
            order by touches.touched_at desc, touches.touchpoint_id desc
        ) as recency
    from touches
    inner join customers on customers.customer_id = touches.customer_id
    where touches.touched_at <= customers.email_consent_at

),

final as (

    select
        {{ audience_member_columns('customers') }},
        case last_touch.touch_type when 'ad_lead' then 'lead_form' else 'ad_click' end
            as welcome_touch_type,
        leads.meta_campaign_id as welcome_campaign_id,
        coalesce(campaigns.campaign_name, sessions.utm_campaign) as welcome_campaign,
        leads.meta_ad_id as welcome_ad_id,
        leads.meta_form_id as welcome_form_id,
        last_touch.touched_at as welcome_touched_at,
        customers.email_consent_at as subscribed_at
    from before_subscribing as last_touch
    inner join customers on customers.customer_id = last_touch.customer_id
    left join leads on 'meta_ads:lead:' || leads.meta_lead_id = last_touch.touchpoint_id
    left join campaigns on campaigns.meta_campaign_id = leads.meta_campaign_id
    left join sessions on sessions.touchpoint_id = last_touch.touchpoint_id
    where last_touch.recency = 1
        and {{ not_suppressed() }}

)

select * from final
