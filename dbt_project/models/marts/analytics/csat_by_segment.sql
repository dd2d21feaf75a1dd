{#- Customer satisfaction (share of Zendesk CSAT ratings that are good) by
    segment and channel count: loyalty tier (customers.loyalty_tier) and
    lifecycle stage (int_analytics__customer_profile), each by the channel band
    the customer engages on (support counts as a channel). -#}
with

ratings as (

    select customer_id, event_type = 'csat_good' as is_good
    from {{ ref('customer_events') }}
    where event_type in ('csat_good', 'csat_bad')
        and occurred_at <= {{ as_of() }}

),

profiles as (

    select * from {{ ref('int_analytics__customer_profile') }}

),

rated as (

    select ratings.*, profiles.loyalty_tier, profiles.lifecycle_stage, profiles.channel_band
    from ratings
    inner join profiles on profiles.customer_id = ratings.customer_id

),

segmented as (

    select 'loyalty_tier' as segment_type, loyalty_tier as segment, channel_band, customer_id, is_good
    from rated

    union all

    select 'lifecycle_stage', lifecycle_stage, channel_band, customer_id, is_good
    from rated

),

final as (

    select
        cast(segment_type || ':' || segment || ':' || channel_band as {{ type_varchar() }}) as csat_segment_id,
        cast(segment_type as {{ type_varchar() }}) as segment_type,
        cast(segment as {{ type_varchar() }}) as segment,
        cast(channel_band as {{ type_varchar() }}) as channel_band,
        cast(count(distinct customer_id) as bigint) as customers_rated,
        cast(count(*) as bigint) as ratings,
        cast(count(case when is_good then 1 end) as bigint) as good_ratings,
        cast(count(case when is_good then 1 end) as {{ type_double() }}) / count(*) as csat
    from segmented
    group by segment_type, segment, channel_band

)

select * from final
