{#- The most common channel sequences to a first purchase and to a repeat
    purchase: each purchase's touches in its attribution window (see
    order_attribution), in order, a run of touches on one channel counted once,
    the last analytics_path_max_steps steps kept, ending with the channel of the
    session that bought ('ads' when that session came from an ad click). -#}
with

touches as (

    -- one row per order x touch: any single model lists every touch once
    select * from {{ ref('order_attribution') }}
    where attribution_model = 'linear'

),

steps as (

    select
        *,
        lag(touch_channel) over (partition by order_key order by touch_position) as previous_channel
    from touches

),

collapsed as (

    select
        *,
        row_number() over (partition by order_key order by touch_position desc) as steps_from_end
    from steps
    where previous_channel is null or previous_channel <> touch_channel

),

paths as (

    select
        order_key,
        case when max(case when is_first_purchase then 1 else 0 end) = 1
            then 'first_purchase' else 'repeat_purchase' end as purchase_type,
        {{ dbt.listagg('touch_channel', "' > '", 'order by touch_position') }} as path,
        count(*) as steps,
        max(order_net_revenue) as net_revenue
    from collapsed
    where steps_from_end <= {{ var('analytics_path_max_steps') }}
    group by order_key

),

counted as (

    select
        purchase_type,
        path,
        max(steps) as steps,
        count(*) as purchases,
        sum(net_revenue) as net_revenue
    from paths
    group by purchase_type, path

),

final as (

    select
        cast(purchase_type || ':' || path as {{ type_varchar() }}) as purchase_path_id,
        cast(purchase_type as {{ type_varchar() }}) as purchase_type,
        cast(path as {{ type_varchar() }}) as path,
        cast(steps as bigint) as steps,
        cast(purchases as bigint) as purchases,
        cast(purchases as {{ type_double() }}) / sum(purchases) over (partition by purchase_type)
            as share_of_purchases,
        cast(net_revenue as decimal(18, 2)) as net_revenue,
        cast(row_number() over (
            partition by purchase_type order by purchases desc, path
        ) as bigint) as path_rank
    from counted

)

select * from final
