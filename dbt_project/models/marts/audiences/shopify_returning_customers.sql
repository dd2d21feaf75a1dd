{#- The first audience: Shopify customers with at least `returning_min_orders`
    orders, tagged in Shopify so the storefront and flows can treat them as
    returning. Later audiences read the unified `customers` mart instead. -#}

with

customers as (

    select * from {{ ref('stg_shopify__customers') }}

),

final as (

    select
        shopify_customer_id,
        email,
        orders_count,
        total_spent,
        accepts_email_marketing
    from customers
    where orders_count >= {{ var('returning_min_orders') }}

)

select * from final
