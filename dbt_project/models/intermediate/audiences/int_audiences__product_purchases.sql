{#- What each customer bought, by SKU, online and in store: one row per customer
    and SKU, with the first and last time and the units. The base of recent
    buyers, cross-sell and the product-buyer suppressions. -#}
with

orders as (

    select order_key, customer_id, channel, ordered_at
    from {{ ref('int_customers__orders') }}
    where is_purchase
        and ordered_at <= {{ as_of() }}

),

lines as (

    select 'shopify:order:' || shopify_order_id as order_key, sku, quantity
    from {{ ref('stg_shopify__order_lines') }}

    union all

    select 'square:order:' || square_order_id, sku, quantity
    from {{ ref('stg_square__order_lines') }}

),

catalog as (

    select * from {{ ref('int_products__catalog') }}

),

final as (

    select
        orders.customer_id,
        lines.sku,
        max(catalog.product_title) as product_title,
        max(catalog.product_category) as product_category,
        sum(lines.quantity) as units,
        count(distinct orders.order_key) as orders,
        min(orders.ordered_at) as first_bought_at,
        max(orders.ordered_at) as last_bought_at,
        max(case when orders.channel = 'store' then 1 else 0 end) = 1 as bought_in_store,
        max(case when orders.channel = 'web' then 1 else 0 end) = 1 as bought_online
    from lines
    inner join orders on orders.order_key = lines.order_key
    left join catalog on catalog.sku = lines.sku
    where lines.sku is not null
    group by orders.customer_id, lines.sku

)

select * from final
