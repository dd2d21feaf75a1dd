{#- Dormant subscribers: email subscribers mailed for at least
    var('email_dormant_days') who opened or clicked nothing in that time.
    Reached on Meta instead, where they may still be paying attention. Someone
    first mailed more recently has not had the time to be dormant. Recent
    purchasers and the open-ticket promo hold stay out. One row per customer. -#}
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
        email.first_received_at,
        email.last_email_engaged_at,
        email.emails_received
    from customers
    inner join email on email.customer_id = customers.customer_id
    where customers.email_marketing_consent
        and email.first_received_at <= {{ as_of_minus(var('email_dormant_days')) }}
        and (
            email.last_email_engaged_at is null
            or email.last_email_engaged_at <= {{ as_of_minus(var('email_dormant_days')) }}
        )
        and {{ not_suppressed(['suppress_recent_purchasers', 'suppress_open_ticket_promo_hold']) }}

)

select * from final
