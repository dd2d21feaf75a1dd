{#- Online context in the store: for every customer Square knows, what store
    staff should see at the counter, written to their Square customer profile
    as custom attributes: their loyalty tier (store and online points
    together), what they spent online, and the products they left in a cart
    online within var('store_context_cart_days') that are still for sale and
    not bought since (null when none). One row per Square customer. -#}
with

customers as (

    select * from {{ ref('customers') }}
    where square_customer_id is not null

),

carts as (

    select customer_id, available_products
    from (
        select
            *,
            row_number() over (
                partition by customer_id order by abandoned_at desc, shopify_checkout_id desc
            ) as cart_rank
        from {{ ref('int_audiences__abandoned_checkouts') }}
        where abandoned_at > {{ as_of_minus(var('store_context_cart_days')) }}
            and abandoned_at <= {{ as_of() }}
            and not purchased_since
            and available_line_count > 0
    ) as ranked
    where cart_rank = 1

),

final as (

    select
        {{ audience_member_columns('customers') }},
        customers.loyalty_tier,
        customers.revenue_online as online_lifetime_value,
        carts.available_products as recent_cart_products
    from customers
    left join carts on carts.customer_id = customers.customer_id
    where {{ not_suppressed() }}

)

select * from final
