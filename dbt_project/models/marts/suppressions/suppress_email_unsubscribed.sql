{#- People who said no to marketing email somewhere (the newest statement on any
    platform is an unsubscribe) or whose address Klaviyo may not mail
    (deliverability suppression): pushed to Klaviyo's suppression list, so an
    unsubscribe at the shop or in the store holds in the email platform too.
    One row per customer with an email. Leaving this list never re-subscribes
    anyone: that is an explicit, audited action, not a sync. -#}
with

customers as (

    select * from {{ ref('customers') }}

),

final as (

    select
        {{ audience_member_columns('customers') }},
        case when customers.email_suppressed then 'deliverability suppression' else 'unsubscribed' end
            as reason,
        customers.email_consent_source as reason_source,
        customers.email_consent_at as since
    from customers
    where customers.email is not null
        and (customers.email_suppressed or customers.email_consent_state = 'unsubscribed')
        -- synced to Klaviyo: never anyone erased
        and {{ not_suppressed() }}

)

select * from final
