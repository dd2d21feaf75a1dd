{#- Play 9, content interest: the topic that picks the next email's content for
    each person - what they clicked in email, browsed and bought, weighed into
    one score per topic (int_customers__content_interest) - and their top
    var('content_topics_kept') topics, written to their Klaviyo profile. One row
    per customer with any click, view or purchase on a known topic. -#}
with

ranked as (

    select
        *,
        row_number() over (
            partition by customer_id
            order by interest_score desc, clicks desc, topic
        ) as interest_rank
    from {{ ref('int_customers__content_interest') }}
    where interest_score > 0

),

top_topics as (

    select
        customer_id,
        max(case when interest_rank = 1 then topic end) as content_topic,
        max(case when interest_rank = 1 then interest_score end) as content_topic_score,
        {{ dbt.listagg('topic', "', '", 'order by interest_rank') }} as content_topics,
        cast(sum(clicks) as bigint) as email_clicks_on_topics
    from ranked
    where interest_rank <= {{ var('content_topics_kept') }}
    group by customer_id

),

customers as (

    select * from {{ ref('customers') }}

),

final as (

    select
        {{ audience_member_columns('customers') }},
        top_topics.content_topic,
        top_topics.content_topic_score,
        top_topics.content_topics,
        top_topics.email_clicks_on_topics
    from top_topics
    inner join customers on customers.customer_id = top_topics.customer_id
    where {{ not_suppressed() }}

)

select * from final
