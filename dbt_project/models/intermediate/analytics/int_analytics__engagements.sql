{#- The events that engage a customer on a channel: everything on the timeline
    up to now except the passive or negative kinds (var
    analytics_passive_event_types: an email received, a bounce, ...). -#}
with

events as (

    select * from {{ ref('customer_events') }}

),

final as (

    select
        event_id,
        customer_id,
        occurred_at,
        channel,
        event_type
    from events
    where occurred_at <= {{ as_of() }}
        and event_type not in ({{ string_list(var('analytics_passive_event_types')) }})

)

select * from final
