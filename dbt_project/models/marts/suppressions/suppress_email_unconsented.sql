{#- Everyone who may not receive marketing email: the newest statement of any
    platform is not a subscription (unsubscribed, never subscribed, or no
    statement at all), or the address is suppressed for deliverability (bounce,
    spam complaint). The sync engine keeps them out of every email destination.
    One row per customer. -#}
with

customers as (

    select * from {{ ref('customers') }}

),

final as (

    select
        {{ audience_member_columns('customers') }},
        case
            when customers.email_suppressed then 'deliverability suppression'
            when customers.email_consent_state is null then 'no consent on record'
            else customers.email_consent_state
        end as reason,
        customers.email_consent_source as reason_source,
        customers.email_consent_at as since
    from customers
    where not customers.email_marketing_consent

)

select * from final
