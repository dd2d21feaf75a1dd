{#- Orders from the web shop and the stores, one shape, with their customer.
    net_revenue is net of cancellations, refunds (full and partial) and returns.
    An online order brought back to a store is a Square order whose unlinked
    return (no source_order_id) names the Shopify order in reference_id (its
    name or id): that money is taken off the online order, channel web, and is
    not store revenue. A Square order that only takes goods back is no purchase. -#}
with

assignments as (

    select record_key, customer_id
    from {{ ref('int_identity__assignments') }}
    where is_current

),

shopify_orders as (

    select * from {{ ref('stg_shopify__orders') }}

),

square_orders as (

    select * from {{ ref('stg_square__orders') }}

),

square_returns as (

    select * from {{ ref('stg_square__order_returns') }}

),

completed_returns_of_other_orders as (

    -- returns in store that name no Square order: their reference is an online order
    select square_order_id, reference_id, returned_amount
    from square_returns
    where source_order_id is null
        and order_state = 'COMPLETED'

),

online_orders_returned_in_store as (

    -- the order named by its name, or else by its id: two equi-joins (a join
    -- on `in (name, id)` is a nested loop over every return and order)
    select
        shopify_orders.shopify_order_id,
        returns.square_order_id,
        returns.returned_amount
    from completed_returns_of_other_orders as returns
    inner join shopify_orders
        on returns.reference_id = shopify_orders.order_name

    union all

    select
        shopify_orders.shopify_order_id,
        returns.square_order_id,
        returns.returned_amount
    from completed_returns_of_other_orders as returns
    inner join shopify_orders
        on returns.reference_id = shopify_orders.shopify_order_id
    where shopify_orders.order_name is null or shopify_orders.order_name <> returns.reference_id

),

returned_by_online_order as (

    select shopify_order_id, sum(returned_amount) as returned_in_store
    from online_orders_returned_in_store
    group by shopify_order_id

),

taken_back_for_online_orders as (

    select square_order_id, sum(returned_amount) as returned_for_online_orders
    from online_orders_returned_in_store
    group by square_order_id

),

orders as (

    select
        'shopify:order:' || shopify_orders.shopify_order_id as order_key,
        'shopify:customer:' || shopify_orders.shopify_customer_id as record_key,
        'web' as channel,
        shopify_orders.ordered_at,
        shopify_orders.net_revenue - coalesce(returned_by_online_order.returned_in_store, 0)
            as net_revenue,
        not shopify_orders.is_cancelled and shopify_orders.financial_status not in ('voided')
            as is_purchase
    from shopify_orders
    left join returned_by_online_order
        on returned_by_online_order.shopify_order_id = shopify_orders.shopify_order_id
    where shopify_orders.shopify_customer_id is not null

    union all

    select
        'square:order:' || square_orders.square_order_id,
        'square:customer:' || square_orders.square_customer_id,
        'store',
        square_orders.ordered_at,
        -- the store gives back what an online order's return took off it
        square_orders.net_revenue
            + case when square_orders.order_state = 'COMPLETED'
                then coalesce(taken_back_for_online_orders.returned_for_online_orders, 0)
                else 0 end,
        square_orders.order_state = 'COMPLETED' and not square_orders.is_return_only
    from square_orders
    left join taken_back_for_online_orders
        on taken_back_for_online_orders.square_order_id = square_orders.square_order_id
    where square_orders.square_customer_id is not null

),

final as (

    select
        orders.order_key,
        assignments.customer_id,
        orders.channel,
        orders.ordered_at,
        cast(orders.net_revenue as decimal(18, 2)) as net_revenue,
        orders.is_purchase
    from orders
    inner join assignments on assignments.record_key = orders.record_key

)

select * from final
