{#- Play 5, in-store purchase follow-up: people who bought in a store within
    var('store_followup_days') and consented to email, with what they bought
    (product titles and categories, from the Square lines' SKUs) and when, for
    a Klaviyo list whose flow sends the follow-up (care tips, a review request,
    what goes with it). A return-only visit is not a purchase
    (int_customers__orders). Promotional: the open-ticket hold applies. One row
    per customer. -#}
with

store_orders as (

    select order_key, customer_id, ordered_at
    from {{ ref('int_customers__orders') }}
    where is_purchase
        and channel = 'store'
        and ordered_at > {{ as_of_minus(var('store_followup_days')) }}
        and ordered_at <= {{ as_of() }}

),

lines as (

    select 'square:order:' || square_order_id as order_key, sku, title
    from {{ ref('stg_square__order_lines') }}

),

catalog as (

    select * from {{ ref('int_products__catalog') }}

),

items as (

    select distinct
        store_orders.customer_id,
        coalesce(catalog.product_title, lines.title) as product_title,
        catalog.product_category
    from store_orders
    inner join lines on lines.order_key = store_orders.order_key
    left join catalog on catalog.sku = lines.sku
    where coalesce(catalog.product_title, lines.title) is not null

),

bought as (

    select
        items.customer_id,
        {{ dbt.listagg('items.product_title', "', '", 'order by items.product_title') }}
            as store_products,
        {{ dbt.listagg('distinct items.product_category', "', '", 'order by items.product_category') }}
            as store_categories
    from items
    group by items.customer_id

),

visits as (

    select customer_id, max(ordered_at) as store_purchased_at, count(*) as store_orders
    from store_orders
    group by customer_id

),

customers as (

    select * from {{ ref('customers') }}

),

final as (

    select
        {{ audience_member_columns('customers') }},
        visits.store_purchased_at,
        cast(visits.store_orders as bigint) as store_orders,
        bought.store_products,
        bought.store_categories
    from visits
    inner join customers on customers.customer_id = visits.customer_id
    left join bought on bought.customer_id = visits.customer_id
    where customers.email_marketing_consent
        and {{ not_suppressed(['suppress_open_ticket_promo_hold']) }}

)

select * from final
