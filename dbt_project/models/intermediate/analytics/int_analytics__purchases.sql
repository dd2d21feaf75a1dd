{#- Every purchase (web or store) up to now, numbered per customer in time
    order: the first purchase starts a cohort, the second makes a repeat
    customer. Revenue is net of refunds and returns (int_customers__orders). -#}
with

orders as (

    select * from {{ ref('int_customers__orders') }}

),

numbered as (

    select
        order_key,
        customer_id,
        channel,
        ordered_at,
        net_revenue,
        row_number() over (
            partition by customer_id
            order by ordered_at, order_key
        ) as purchase_number
    from orders
    where is_purchase
        and ordered_at <= {{ as_of() }}

),

final as (

    select
        *,
        purchase_number = 1 as is_first_purchase
    from numbered

)

select * from final
