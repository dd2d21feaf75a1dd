{#- Customer health: one score from 0 to 100 and a band per customer, from what
    support, email, the shop and the store know about them, so marketing
    (Klaviyo profile properties) and agents (Zendesk user fields, through
    support_customer_context) read the same number. Five signals, each scored
    1 (good), 0.5 (middling) or 0 (bad), weighted by var('health_weights'):

    - satisfaction: last satisfaction rating good 1, none 0.5, bad 0;
    - support: a ticket open 0, else a ticket filed within
      var('health_recent_ticket_days') 0.5, else 1;
    - engagement: an engaging event (var('health_engagement_event_types'))
      within var('health_engaged_days') 1, within
      var('health_engaged_middling_days') 0.5, else 0;
    - purchase: last purchase within var('health_purchase_days') 1, within
      var('health_purchase_middling_days') 0.5, else (or never) 0;
    - subscription: unsubscribed from email within var('health_unsubscribe_days') 0, else 1.

    score = round(100 * sum(weight * signal) / sum(weights)); band: the first
    of var('health_bands') whose min_score the score reaches, else
    var('health_lowest_band'). A window "within N days" holds an event exactly
    N days old. One row per customer. -#}
{%- set weights = var('health_weights') -%}
{%- set total_weight = weights.values() | sum -%}
with

customers as (

    select * from {{ ref('customers') }}

),

events as (

    select customer_id, event_type, occurred_at
    from {{ ref('customer_events') }}
    where occurred_at <= {{ as_of() }}

),

signals_seen as (

    select
        customer_id,
        max(case when event_type in ({{ sql_list(var('health_engagement_event_types')) }})
            then occurred_at end) as last_engaged_at,
        max(case when event_type = 'ticket_opened' then occurred_at end) as last_ticket_at,
        max(case when event_type = 'email_unsubscribed' then occurred_at end) as last_unsubscribed_at
    from events
    group by customer_id

),

signals as (

    select
        customers.customer_id,
        cast(case customers.last_csat_score when 'good' then 1 when 'bad' then 0 else 0.5 end
            as decimal(3, 2)) as satisfaction_signal,
        cast(case
            when customers.open_tickets > 0 then 0
            when seen.last_ticket_at >= {{ as_of_minus(var('health_recent_ticket_days')) }} then 0.5
            else 1
        end as decimal(3, 2)) as support_signal,
        cast(case
            when seen.last_engaged_at >= {{ as_of_minus(var('health_engaged_days')) }} then 1
            when seen.last_engaged_at >= {{ as_of_minus(var('health_engaged_middling_days')) }} then 0.5
            else 0
        end as decimal(3, 2)) as engagement_signal,
        cast(case
            when customers.last_purchase_at > {{ as_of() }} then 0
            when customers.last_purchase_at >= {{ as_of_minus(var('health_purchase_days')) }} then 1
            when customers.last_purchase_at >= {{ as_of_minus(var('health_purchase_middling_days')) }} then 0.5
            else 0
        end as decimal(3, 2)) as purchase_signal,
        cast(case
            when seen.last_unsubscribed_at >= {{ as_of_minus(var('health_unsubscribe_days')) }} then 0
            else 1
        end as decimal(3, 2)) as subscription_signal
    from customers
    left join signals_seen as seen on seen.customer_id = customers.customer_id

),

scored as (

    select
        signals.*,
        cast(round(100 * (
            {{ weights['satisfaction'] }} * satisfaction_signal
            + {{ weights['support'] }} * support_signal
            + {{ weights['engagement'] }} * engagement_signal
            + {{ weights['purchase'] }} * purchase_signal
            + {{ weights['subscription'] }} * subscription_signal
        ) / {{ total_weight }}) as integer) as health_score
    from signals

),

final as (

    select
        {{ audience_member_columns('customers') }},
        scored.health_score,
        case
            {% for band in var('health_bands') %}
            when scored.health_score >= {{ band['min_score'] }} then '{{ band['name'] }}'
            {% endfor %}
            else '{{ var('health_lowest_band') }}'
        end as health_band,
        scored.satisfaction_signal,
        scored.support_signal,
        scored.engagement_signal,
        scored.purchase_signal,
        scored.subscription_signal,
        customers.lifetime_value,
        {{ as_of() }} as scored_at
    from scored
    inner join customers on customers.customer_id = scored.customer_id
    where {{ not_suppressed() }}

)

select * from final
