{#- Lapsed: engaged before, on any channel, but not within
    var('lapsed_inactive_days'). For re-engagement. One row per customer. -#}
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
        engagement.last_engaged_at,
        engagement.last_engaged_channel,
        customers.orders_total,
        customers.lifetime_value
    from customers
    inner join engagement on engagement.customer_id = customers.customer_id
    where engagement.last_engaged_at <= {{ as_of_minus(var('lapsed_inactive_days')) }}
        and {{ not_suppressed(['suppress_open_ticket_promo_hold']) }}

)

select * from final
