{#- One row per customer with what the analytics segment by: on how many
    channels they have engaged (ever, up to now), that count as a band (none,
    1, 2, 3+), and a lifecycle stage from their purchases: prospect (none yet),
    new (first purchase within analytics_new_customer_days), active (last
    purchase within analytics_lapsed_after_days), lapsed (older). -#}
with

customers as (

    select * from {{ ref('customers') }}

),

engagements as (

    select * from {{ ref('int_analytics__engagements') }}

),

channels as (

    select customer_id, count(distinct channel) as channels_engaged
    from engagements
    group by customer_id

),

joined as (

    select
        customers.customer_id,
        coalesce(channels.channels_engaged, 0) as channels_engaged,
        customers.loyalty_tier,
        customers.lifetime_value,
        customers.orders_total,
        customers.first_purchase_at,
        customers.last_purchase_at
    from customers
    left join channels on channels.customer_id = customers.customer_id

),

final as (

    select
        customer_id,
        channels_engaged,
        case
            when channels_engaged = 0 then 'none'
            when channels_engaged = 1 then '1'
            when channels_engaged = 2 then '2'
            else '3+'
        end as channel_band,
        channels_engaged >= 2 as is_omnichannel,
        case
            when first_purchase_at is null then 'prospect'
            when first_purchase_at >= {{ dbt.dateadd('day', -var('analytics_new_customer_days'), as_of()) }}
                then 'new'
            when last_purchase_at >= {{ dbt.dateadd('day', -var('analytics_lapsed_after_days'), as_of()) }}
                then 'active'
            else 'lapsed'
        end as lifecycle_stage,
        loyalty_tier,
        lifetime_value,
        orders_total,
        first_purchase_at,
        last_purchase_at
    from joined

)

select * from final
