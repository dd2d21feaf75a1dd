{#- Loyal buyers: a loyalty tier in var('loyal_tiers'), or at least
    var('loyal_min_orders_12m') purchases in the last 365 days. One row per
    customer. -#}
with

customers as (

    select * from {{ ref('customers') }}

),

orders_12m as (

    select customer_id, count(*) as orders_12m
    from {{ ref('int_customers__orders') }}
    where is_purchase
        and ordered_at > {{ as_of_minus(365) }}
        and ordered_at <= {{ as_of() }}
    group by customer_id

),

final as (

    select
        {{ audience_member_columns('customers') }},
        customers.loyalty_tier,
        customers.loyalty_points,
        coalesce(orders_12m.orders_12m, 0) as orders_12m,
        customers.lifetime_value
    from customers
    left join orders_12m on orders_12m.customer_id = customers.customer_id
    where (
            customers.loyalty_tier in ({{ sql_list(var('loyal_tiers')) }})
            or coalesce(orders_12m.orders_12m, 0) >= {{ var('loyal_min_orders_12m') }}
        )
        and {{ not_suppressed() }}

)

select * from final
