{#- New customers: a first purchase, online or in store, within
    var('new_customer_days'). For the welcome/onboarding series. One row per
    customer. -#}
with

customers as (

    select * from {{ ref('customers') }}

),

final as (

    select
        {{ audience_member_columns('customers') }},
        customers.first_purchase_at,
        case when customers.orders_online > 0 then 'web' else 'store' end as first_purchase_channel,
        customers.lifetime_value
    from customers
    where customers.first_purchase_at > {{ as_of_minus(var('new_customer_days')) }}
        and customers.first_purchase_at <= {{ as_of() }}
        and {{ not_suppressed(['suppress_open_ticket_promo_hold']) }}

)

select * from final
