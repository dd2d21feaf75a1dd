{#- Returning customers: at least var('returning_min_orders') purchases, online
    and in store together. Tagged in Shopify (the storefront and flows treat them
    as returning) and listed in Klaviyo. One row per customer. -#}
with

customers as (

    select * from {{ ref('customers') }}

),

final as (

    select
        {{ audience_member_columns('customers') }},
        customers.orders_total,
        customers.orders_online,
        customers.orders_in_store,
        customers.lifetime_value,
        customers.last_purchase_at
    from customers
    where customers.orders_total >= {{ var('returning_min_orders') }}
        and {{ not_suppressed() }}

)

select * from final
