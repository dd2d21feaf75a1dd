{#- People who said no to marketing email somewhere (the newest statement on any
    platform is an unsubscribe) or whose address Klaviyo may not mail
    (deliverability suppression): pushed to Klaviyo's suppression list, so an
    unsubscribe at the shop or in the store holds in the email platform too.
    One row per customer with an email. Leaving this list never re-subscribes
    anyone: that is an explicit, audited action, not a sync.
    Klaviyo suppresses by address, so the address is the one the person's
    Klaviyo profile holds where they have one: their best address elsewhere may
    be a household's shared inbox, whose Klaviyo profile is someone else's. -#}
with

customers as (

    select
        customers.*,
        coalesce(profiles.email, customers.email) as suppressed_email
    from {{ ref('customers') }} as customers
    left join {{ ref('stg_klaviyo__profiles') }} as profiles
        on profiles.klaviyo_profile_id = customers.klaviyo_profile_id

),

final as (

    select
        customers.customer_id,
        customers.suppressed_email as email,
        customers.phone_e164,
        customers.first_name,
        customers.last_name,
        customers.klaviyo_profile_id,
        customers.shopify_customer_id,
        customers.square_customer_id,
        customers.zendesk_user_id,
        case when customers.email_suppressed then 'deliverability suppression' else 'unsubscribed' end
            as reason,
        customers.email_consent_source as reason_source,
        customers.email_consent_at as since
    from customers
    where customers.suppressed_email is not null
        and (customers.email_suppressed or customers.email_consent_state = 'unsubscribed')
        -- synced to Klaviyo: never anyone erased
        and {{ not_suppressed() }}

)

select * from final
