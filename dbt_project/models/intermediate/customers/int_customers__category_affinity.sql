{#- What each customer buys, by product category, online and in store. Store
    lines carry the online SKU, which names the product and so its category. -#}
with

orders as (

    select order_key, customer_id
    from {{ ref('int_customers__orders') }}
    where is_purchase

),

categories as (

    select variants.sku, products.product_category
    from {{ ref('stg_shopify__product_variants') }} as variants
    inner join {{ ref('stg_shopify__products') }} as products
        on products.shopify_product_id = variants.shopify_product_id
    where variants.sku is not null

),

lines as (

    select 'shopify:order:' || shopify_order_id as order_key, sku, quantity, line_total
    from {{ ref('stg_shopify__order_lines') }}

    union all

    select 'square:order:' || square_order_id, sku, quantity, line_total
    from {{ ref('stg_square__order_lines') }}

)

select
    orders.customer_id,
    categories.product_category,
    sum(lines.quantity) as units,
    sum(lines.line_total) as revenue,
    count(distinct orders.order_key) as orders
from lines
inner join orders on orders.order_key = lines.order_key
inner join categories on categories.sku = lines.sku
group by orders.customer_id, categories.product_category
