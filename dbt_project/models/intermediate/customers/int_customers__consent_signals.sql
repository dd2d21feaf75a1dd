{#- Every statement of marketing consent any platform holds, per customer and
    channel: granted or not, the platform's own word for it (state: subscribed,
    unsubscribed, not_subscribed, never_subscribed, ...), when, and where it came from. The newest statement
    wins in `customers`; a deliverability suppression (bounce, spam complaint)
    is a separate veto on email. -#}
with

assignments as (

    select record_key, customer_id
    from {{ ref('int_identity__assignments') }}
    where is_current

),

signals as (

    select
        'shopify:customer:' || shopify_customer_id as record_key,
        'email' as channel,
        email_marketing_state = 'subscribed' as granted,
        email_marketing_state as state,
        coalesce(email_consent_updated_at, updated_at) as stated_at,
        'shopify' as source
    from {{ ref('stg_shopify__customers') }}
    where email_marketing_state is not null

    union all

    select
        'shopify:customer:' || shopify_customer_id,
        'sms',
        sms_marketing_state = 'subscribed',
        sms_marketing_state,
        coalesce(sms_consent_updated_at, updated_at),
        'shopify'
    from {{ ref('stg_shopify__customers') }}
    where sms_marketing_state is not null

    union all

    select
        'klaviyo:profile:' || klaviyo_profile_id,
        'email',
        email_consent = 'SUBSCRIBED',
        lower(email_consent),
        coalesce(email_consent_at, updated_at),
        'klaviyo'
    from {{ ref('stg_klaviyo__profiles') }}
    where email_consent is not null

    union all

    select
        'square:customer:' || customers.square_customer_id,
        'email',
        not customers.email_unsubscribed,
        'unsubscribed',
        coalesce(since.unsubscribed_since, customers.updated_at),
        'square'
    from {{ ref('stg_square__customers') }} as customers
    left join {{ ref('int_customers__square_unsubscribed_since') }} as since
        on since.square_customer_id = customers.square_customer_id
    where customers.email_unsubscribed

    union all

    select
        'meta_ads:lead:' || meta_lead_id,
        'email',
        accepts_email_marketing,
        'subscribed',
        created_at,
        'meta_ads'
    from {{ ref('stg_meta_ads__leads') }}
    where accepts_email_marketing

)

select
    assignments.customer_id,
    signals.channel,
    signals.granted,
    signals.state,
    signals.stated_at,
    signals.source,
    signals.record_key
from signals
inner join assignments on assignments.record_key = signals.record_key
