{#- Not opening: email subscribers who opened none of their last
    var('email_unopened_last_n') emails, retargeted on Meta (a different
    channel for people the inbox no longer reaches). Fewer than N emails
    received: not judged. Recent purchasers and the open-ticket promo hold stay
    out. One row per customer. -#}
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
        email.last_opened_at,
        email.nth_last_received_at,
        email.emails_received
    from customers
    inner join email on email.customer_id = customers.customer_id
    where customers.email_marketing_consent
        and email.unopened_last_n
        and {{ not_suppressed(['suppress_recent_purchasers', 'suppress_open_ticket_promo_hold']) }}

)

select * from final
