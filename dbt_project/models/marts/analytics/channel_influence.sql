{#- Channel influence: of the paths to a first purchase and to a repeat
    purchase (each purchase's touches in its attribution window, the buying
    session included, as purchase_paths reads them from order_attribution), the
    share in which each channel appears at least once, however often. Shares of
    one purchase type add up to more than 1 when paths mix channels. -#}
with

touches as (

    -- one row per order x touch: any single model lists every touch once
    select * from {{ ref('order_attribution') }}
    where attribution_model = 'linear'

),

paths as (

    select
        order_key,
        case when is_first_purchase then 'first_purchase' else 'repeat_purchase' end
            as purchase_type,
        max(order_net_revenue) as net_revenue,
        count(distinct touch_channel) as channels_in_path
    from touches
    group by order_key, is_first_purchase

),

appearances as (

    select distinct order_key, touch_channel
    from touches

),

totals as (

    select purchase_type, count(*) as paths
    from paths
    group by purchase_type

),

counted as (

    select
        paths.purchase_type,
        appearances.touch_channel,
        count(*) as paths_with_channel,
        count(case when paths.channels_in_path = 1 then 1 end) as paths_only_channel,
        sum(paths.net_revenue) as net_revenue
    from appearances
    inner join paths on paths.order_key = appearances.order_key
    group by paths.purchase_type, appearances.touch_channel

),

final as (

    select
        cast(counted.purchase_type || ':' || counted.touch_channel as {{ type_varchar() }}) as channel_influence_id,
        cast(counted.purchase_type as {{ type_varchar() }}) as purchase_type,
        cast(counted.touch_channel as {{ type_varchar() }}) as touch_channel,
        cast(totals.paths as bigint) as paths,
        cast(counted.paths_with_channel as bigint) as paths_with_channel,
        cast(counted.paths_only_channel as bigint) as paths_only_channel,
        cast(counted.paths_with_channel as {{ type_double() }}) / totals.paths as influence_share,
        cast(counted.net_revenue as decimal(18, 2)) as net_revenue_influenced
    from counted
    inner join totals on totals.purchase_type = counted.purchase_type

)

select * from final
