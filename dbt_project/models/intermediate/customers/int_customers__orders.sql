{#- Orders from the web shop and the stores, one shape, with their customer. -#}
with

assignments as (

    select record_key, customer_id
    from {{ ref('int_identity__assignments') }}
    where is_current

),

orders as (

    select
        'shopify:order:' || shopify_order_id as order_key,
        'shopify:customer:' || shopify_customer_id as record_key,
        'web' as channel,
        ordered_at,
        net_revenue,
        not is_cancelled and financial_status not in ('voided') as is_purchase
    from {{ ref('stg_shopify__orders') }}
    where shopify_customer_id is not null

    union all

    select
        'square:order:' || square_order_id,
        'square:customer:' || square_customer_id,
        'store',
        ordered_at,
        net_revenue,
        order_state = 'COMPLETED'
    from {{ ref('stg_square__orders') }}
    where square_customer_id is not null

)

select
    orders.order_key,
    assignments.customer_id,
    orders.channel,
    orders.ordered_at,
    orders.net_revenue,
    orders.is_purchase
from orders
inner join assignments on assignments.record_key = orders.record_key
