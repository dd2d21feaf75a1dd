{#- What customers are worth by how many channels they engage on (ever, up to
    now): by channel count (1, 2, 3+) and omnichannel (2+) vs single-channel.
    Customers with no engaging event are left out. Revenue is net of refunds
    and returns; lifetime value per customer is net revenue / customers. -#}
with

profiles as (

    select * from {{ ref('int_analytics__customer_profile') }}
    where channels_engaged > 0

),

segmented as (

    select
        'channel_count' as breakdown,
        channel_band as segment,
        case channel_band when '1' then 1 when '2' then 2 else 3 end as segment_order,
        profiles.*
    from profiles

    union all

    select
        'omnichannel',
        case when is_omnichannel then 'omnichannel' else 'single-channel' end,
        case when is_omnichannel then 2 else 1 end,
        profiles.*
    from profiles

),

aggregated as (

    select
        breakdown,
        segment,
        segment_order,
        count(*) as customers,
        count(case when orders_total > 0 then 1 end) as purchasers,
        sum(orders_total) as orders,
        sum(lifetime_value) as net_revenue
    from segmented
    group by breakdown, segment, segment_order

),

final as (

    select
        cast(breakdown as {{ type_varchar() }}) as breakdown,
        cast(segment as {{ type_varchar() }}) as segment,
        cast(segment_order as integer) as segment_order,
        cast(customers as bigint) as customers,
        cast(purchasers as bigint) as purchasers,
        cast(orders as bigint) as orders,
        cast(net_revenue as decimal(18, 2)) as net_revenue,
        cast(orders as {{ type_double() }}) / customers as orders_per_customer,
        cast(net_revenue / customers as decimal(18, 2)) as lifetime_value_per_customer,
        cast(case when orders > 0 then net_revenue / orders end as decimal(18, 2)) as average_order_value,
        cast(customers as {{ type_double() }}) / sum(customers) over (partition by breakdown)
            as share_of_customers,
        cast(net_revenue as {{ type_double() }})
            / nullif(cast(sum(net_revenue) over (partition by breakdown) as {{ type_double() }}), 0)
            as share_of_revenue
    from aggregated

)

select * from final
