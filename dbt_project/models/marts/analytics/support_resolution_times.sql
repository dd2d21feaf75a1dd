{#- How fast support answers and resolves, by segment: Zendesk Ticket Metrics
    (calendar minutes to the first agent reply, to the final solve) of each
    customer's tickets, by loyalty tier, lifecycle stage and channel band (the
    number of channels the customer engages on, support included), plus 'all'.
    A ticket not yet replied to (or not solved) counts in tickets, not in the
    times; within-target shares are of the tickets replied to (solved), a time
    of exactly the target counting as within it. -#}
with

tickets as (

    select * from {{ ref('stg_zendesk__tickets') }}
    where created_at <= {{ as_of() }}

),

events as (

    select event_id, customer_id
    from {{ ref('customer_events') }}
    where event_type = 'ticket_opened'

),

profiles as (

    select * from {{ ref('int_analytics__customer_profile') }}

),

joined as (

    select
        tickets.zendesk_ticket_id,
        events.customer_id,
        tickets.first_reply_minutes,
        tickets.full_resolution_minutes,
        coalesce(profiles.loyalty_tier, 'none') as loyalty_tier,
        coalesce(profiles.lifecycle_stage, 'prospect') as lifecycle_stage,
        coalesce(profiles.channel_band, 'none') as channel_band
    from tickets
    inner join events on events.event_id = 'zendesk:ticket:' || tickets.zendesk_ticket_id
    left join profiles on profiles.customer_id = events.customer_id

),

segmented as (

    select 'all' as segment_type, 'all' as segment, joined.* from joined
    union all
    select 'loyalty_tier', loyalty_tier, joined.* from joined
    union all
    select 'lifecycle_stage', lifecycle_stage, joined.* from joined
    union all
    select 'channel_band', channel_band, joined.* from joined

),

final as (

    select
        cast(segment_type || ':' || segment as {{ type_varchar() }}) as support_segment_id,
        cast(segment_type as {{ type_varchar() }}) as segment_type,
        cast(segment as {{ type_varchar() }}) as segment,
        cast(count(*) as bigint) as tickets,
        cast(count(distinct customer_id) as bigint) as customers,
        cast(count(first_reply_minutes) as bigint) as replied,
        cast(count(full_resolution_minutes) as bigint) as solved,
        cast(avg(first_reply_minutes) as {{ type_double() }}) / 60 as avg_first_reply_hours,
        cast(percentile_cont(0.5) within group (order by first_reply_minutes) as {{ type_double() }}) / 60
            as median_first_reply_hours,
        cast(avg(full_resolution_minutes) as {{ type_double() }}) / 60 as avg_resolution_hours,
        cast(percentile_cont(0.5) within group (order by full_resolution_minutes) as {{ type_double() }}) / 60
            as median_resolution_hours,
        cast(count(case when first_reply_minutes <= {{ var('analytics_support_first_reply_target_hours') }} * 60
            then 1 end) as {{ type_double() }}) / nullif(count(first_reply_minutes), 0)
            as replied_within_target_share,
        cast(count(case when full_resolution_minutes <= {{ var('analytics_support_resolution_target_hours') }} * 60
            then 1 end) as {{ type_double() }}) / nullif(count(full_resolution_minutes), 0)
            as solved_within_target_share
    from segmented
    group by segment_type, segment

)

select * from final
