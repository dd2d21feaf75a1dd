{#- What each customer buys and browses, by product category, online and in
    store: one row per customer and category. Store lines carry the online SKU,
    which names the product and so its category; browsing is Klaviyo's Viewed
    Product. `affinity_score` weighs a unit bought var('affinity_purchase_weight')
    times as much as a product viewed (var('affinity_view_weight')). -#}
with

assignments as (

    select record_key, customer_id
    from {{ ref('int_identity__assignments') }}
    where is_current

),

orders as (

    select order_key, customer_id
    from {{ ref('int_customers__orders') }}
    where is_purchase

),

catalog as (

    select * from {{ ref('int_products__catalog') }}

),

lines as (

    select 'shopify:order:' || shopify_order_id as order_key, sku, quantity, line_total
    from {{ ref('stg_shopify__order_lines') }}

    union all

    select 'square:order:' || square_order_id, sku, quantity, line_total
    from {{ ref('stg_square__order_lines') }}

),

bought as (

    select
        orders.customer_id,
        catalog.product_category,
        sum(lines.quantity) as units,
        sum(lines.line_total) as revenue,
        count(distinct orders.order_key) as orders
    from lines
    inner join orders on orders.order_key = lines.order_key
    inner join catalog on catalog.sku = lines.sku
    where catalog.product_category is not null
    group by orders.customer_id, catalog.product_category

),

viewed as (

    select
        assignments.customer_id,
        events.product_category,
        count(*) as views
    from {{ ref('stg_klaviyo__events') }} as events
    inner join assignments on assignments.record_key = 'klaviyo:profile:' || events.klaviyo_profile_id
    where events.event_type = 'product_viewed'
        and events.product_category is not null
    group by assignments.customer_id, events.product_category

),

final as (

    select
        coalesce(bought.customer_id, viewed.customer_id) as customer_id,
        coalesce(bought.product_category, viewed.product_category) as product_category,
        cast(coalesce(bought.units, 0) as bigint) as units,
        cast(coalesce(bought.revenue, 0) as decimal(18, 2)) as revenue,
        cast(coalesce(bought.orders, 0) as bigint) as orders,
        cast(coalesce(viewed.views, 0) as bigint) as views,
        cast(
            coalesce(bought.units, 0) * {{ var('affinity_purchase_weight') }}
            + coalesce(viewed.views, 0) * {{ var('affinity_view_weight') }}
            as decimal(18, 2)
        ) as affinity_score
    from bought
    full outer join viewed
        on viewed.customer_id = bought.customer_id
        and viewed.product_category = bought.product_category

)

select * from final
