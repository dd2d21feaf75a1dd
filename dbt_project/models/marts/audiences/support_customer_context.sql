{#- Support sees the whole customer: for every customer Zendesk knows, the
    facts an agent should have before answering, written to Zendesk user
    fields: customer since (their first record or purchase anywhere), whether
    they are long-standing (var('long_standing_customer_years') or more),
    lifetime value online and in store, orders, last order, loyalty tier, and
    the health score and band (customer_health). One row per Zendesk user. -#}
with

customers as (

    select * from {{ ref('customers') }}
    where zendesk_user_id is not null

),

health as (

    select customer_id, health_score, health_band from {{ ref('customer_health') }}

),

final as (

    select
        {{ audience_member_columns('customers') }},
        least(customers.first_seen_at, customers.first_purchase_at) as customer_since,
        coalesce(
            least(customers.first_seen_at, customers.first_purchase_at)
                <= {{ dbt.dateadd('year', -1 * var('long_standing_customer_years'), as_of()) }},
            false
        ) as long_standing_customer,
        customers.lifetime_value,
        customers.orders_total,
        customers.last_purchase_at as last_order_at,
        customers.loyalty_tier,
        health.health_score,
        health.health_band
    from customers
    left join health on health.customer_id = customers.customer_id
    where {{ not_suppressed() }}

)

select * from final
