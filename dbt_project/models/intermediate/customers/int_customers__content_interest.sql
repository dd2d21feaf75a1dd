{#- Play 9: what each person is interested in, by topic - the product
    categories they bought and browsed (int_customers__category_affinity) plus
    the topics of the email links they clicked (seed url_topics: a link to the
    footwear collection is about Footwear, one to the sustainability story about
    Sustainability). One row per customer and topic; `interest_score` weighs a
    click var('content_click_weight'), a product viewed
    var('affinity_view_weight') and a unit bought var('affinity_purchase_weight'). -#}
with

assignments as (

    select record_key, customer_id
    from {{ ref('int_identity__assignments') }}
    where is_current

),

topics as (

    select * from {{ ref('url_topics') }}

),

clicks as (

    select
        events.klaviyo_event_id,
        assignments.customer_id,
        topics.topic,
        row_number() over (
            partition by events.klaviyo_event_id
            order by topics.priority, length(topics.url_pattern) desc, topics.topic
        ) as best
    from {{ ref('stg_klaviyo__events') }} as events
    inner join assignments on assignments.record_key = 'klaviyo:profile:' || events.klaviyo_profile_id
    inner join topics on lower(events.url) like '%' || lower(topics.url_pattern) || '%'
    where events.event_type = 'email_clicked'
        and events.occurred_at <= {{ as_of() }}

),

clicked as (

    select customer_id, topic, count(*) as clicks
    from clicks
    where best = 1
    group by customer_id, topic

),

affinity as (

    select customer_id, product_category as topic, units, views
    from {{ ref('int_customers__category_affinity') }}

),

final as (

    select
        coalesce(affinity.customer_id, clicked.customer_id) as customer_id,
        coalesce(affinity.topic, clicked.topic) as topic,
        cast(coalesce(clicked.clicks, 0) as bigint) as clicks,
        cast(coalesce(affinity.views, 0) as bigint) as views,
        cast(coalesce(affinity.units, 0) as bigint) as units,
        cast(
            coalesce(clicked.clicks, 0) * {{ var('content_click_weight') }}
            + coalesce(affinity.views, 0) * {{ var('affinity_view_weight') }}
            + coalesce(affinity.units, 0) * {{ var('affinity_purchase_weight') }}
            as decimal(18, 2)
        ) as interest_score
    from affinity
    full outer join clicked
        on clicked.customer_id = affinity.customer_id
        and clicked.topic = affinity.topic

)

select * from final
