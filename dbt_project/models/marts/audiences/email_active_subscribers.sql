{#- Active subscribers: email subscribers who opened or clicked an email within
    var('email_active_days'). Their own Meta custom audience, so the ad set for
    people who read the emails can differ from the one for people who do not.
    Recent purchasers stay out (this is an acquisition audience), as does the
    open-ticket promo hold. One row per customer. -#}
with

customers as (

    select * from {{ ref('customers') }}

),

email as (

    select * from {{ ref('int_audiences__email_engagement') }}

),

final as (

    select
        {{ audience_member_columns('customers') }},
        email.last_email_engaged_at,
        email.emails_received
    from customers
    inner join email on email.customer_id = customers.customer_id
    where customers.email_marketing_consent
        and email.last_email_engaged_at > {{ as_of_minus(var('email_active_days')) }}
        and {{ not_suppressed(['suppress_recent_purchasers', 'suppress_open_ticket_promo_hold']) }}

)

select * from final
