{#- VIPs: a loyalty tier in var('vip_tiers') (online and store points
    together), so store associates see it on the Square customer (a customer
    group) and support agents in Zendesk (a user tag). One row per customer. -#}
with

customers as (

    select * from {{ ref('customers') }}

),

final as (

    select
        {{ audience_member_columns('customers') }},
        customers.loyalty_tier,
        customers.loyalty_points,
        customers.lifetime_value
    from customers
    where customers.loyalty_tier in ({{ sql_list(var('vip_tiers')) }})
        and {{ not_suppressed() }}

)

select * from final
