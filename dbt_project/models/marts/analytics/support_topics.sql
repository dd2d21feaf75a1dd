{#- What support hears, for the content team: the most common ticket topics
    (Zendesk tags, and subjects lower-cased and trimmed) per customer segment
    (all, loyalty tier, lifecycle stage), the top analytics_support_topics_kept
    of each kind per segment, with their share of the segment's tickets. -#}
with

tickets as (

    select * from {{ ref('stg_zendesk__tickets') }}
    where created_at <= {{ as_of() }}

),

tags as (

    select * from {{ ref('stg_zendesk__ticket_tags') }}

),

events as (

    select event_id, customer_id
    from {{ ref('customer_events') }}
    where event_type = 'ticket_opened'

),

profiles as (

    select * from {{ ref('int_analytics__customer_profile') }}

),

customer_tickets as (

    select
        tickets.zendesk_ticket_id,
        tickets.subject,
        events.customer_id,
        coalesce(profiles.loyalty_tier, 'none') as loyalty_tier,
        coalesce(profiles.lifecycle_stage, 'prospect') as lifecycle_stage
    from tickets
    inner join events on events.event_id = 'zendesk:ticket:' || tickets.zendesk_ticket_id
    left join profiles on profiles.customer_id = events.customer_id

),

segmented as (

    select 'all' as segment_type, 'all' as segment, customer_tickets.* from customer_tickets
    union all
    select 'loyalty_tier', loyalty_tier, customer_tickets.* from customer_tickets
    union all
    select 'lifecycle_stage', lifecycle_stage, customer_tickets.* from customer_tickets

),

segment_totals as (

    select segment_type, segment, count(*) as segment_tickets
    from segmented
    group by segment_type, segment

),

topics as (

    select
        segmented.segment_type,
        segmented.segment,
        'tag' as topic_type,
        tags.tag as topic,
        segmented.zendesk_ticket_id,
        segmented.customer_id
    from segmented
    inner join tags on tags.zendesk_ticket_id = segmented.zendesk_ticket_id

    union all

    select
        segment_type,
        segment,
        'subject',
        lower(trim(subject)),
        zendesk_ticket_id,
        customer_id
    from segmented
    where nullif(trim(subject), '') is not null

),

counted as (

    select
        segment_type,
        segment,
        topic_type,
        topic,
        count(distinct zendesk_ticket_id) as tickets,
        count(distinct customer_id) as customers
    from topics
    group by segment_type, segment, topic_type, topic

),

ranked as (

    select
        counted.*,
        segment_totals.segment_tickets,
        row_number() over (
            partition by counted.segment_type, counted.segment, counted.topic_type
            order by counted.tickets desc, counted.topic
        ) as topic_rank
    from counted
    inner join segment_totals
        on segment_totals.segment_type = counted.segment_type
        and segment_totals.segment = counted.segment

),

final as (

    select
        cast(segment_type || ':' || segment || ':' || topic_type || ':' || topic as {{ type_varchar() }})
            as support_topic_id,
        cast(segment_type as {{ type_varchar() }}) as segment_type,
        cast(segment as {{ type_varchar() }}) as segment,
        cast(topic_type as {{ type_varchar() }}) as topic_type,
        cast(topic as {{ type_varchar() }}) as topic,
        cast(tickets as bigint) as tickets,
        cast(customers as bigint) as customers,
        cast(segment_tickets as bigint) as segment_tickets,
        cast(tickets as {{ type_double() }}) / segment_tickets as share_of_tickets,
        cast(topic_rank as bigint) as topic_rank
    from ranked
    where topic_rank <= {{ var('analytics_support_topics_kept') }}

)

select * from final
