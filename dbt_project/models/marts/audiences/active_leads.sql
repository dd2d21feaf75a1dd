{#- Active leads: a Meta lead-form lead or an email subscriber who has never
    bought, and engaged on some channel within var('active_lead_engaged_days').
    For nurture emails and prospecting ads. One row per customer. -#}
with

customers as (

    select * from {{ ref('customers') }}

),

engagement as (

    select * from {{ ref('int_audiences__engagement') }}

),

final as (

    select
        {{ audience_member_columns('customers') }},
        case when customers.meta_lead_id is not null then 'meta_lead' else 'email_subscriber' end
            as lead_source,
        engagement.last_engaged_at,
        engagement.last_engaged_channel
    from customers
    inner join engagement on engagement.customer_id = customers.customer_id
    where (customers.meta_lead_id is not null or customers.email_marketing_consent)
        and customers.orders_total = 0
        and engagement.last_engaged_at > {{ as_of_minus(var('active_lead_engaged_days')) }}
        and {{ not_suppressed(['suppress_open_ticket_promo_hold', 'suppress_recent_purchasers']) }}

)

select * from final
