{#- Email engagement per customer, for the email-informed ad audiences: when
    they last opened or clicked, when they were first mailed, and whether they
    opened anything since the var('email_unopened_last_n')-th most recent email
    they received (an open of one of those emails can only come after it
    arrived, so no open since then means none of the last N was opened). One
    row per customer who ever received, opened or clicked an email; events
    after as_of() do not count. -#}
with

events as (

    select customer_id, event_type, occurred_at, event_id
    from {{ ref('customer_events') }}
    where occurred_at <= {{ as_of() }}
        and event_type in ('email_received', 'email_opened', 'email_clicked')

),

received as (

    select
        customer_id,
        occurred_at,
        row_number() over (partition by customer_id order by occurred_at desc, event_id desc)
            as recency
    from events
    where event_type = 'email_received'

),

nth_last as (

    select customer_id, occurred_at as nth_last_received_at
    from received
    where recency = {{ var('email_unopened_last_n') }}

),

summary as (

    select
        customer_id,
        min(case when event_type = 'email_received' then occurred_at end) as first_received_at,
        max(case when event_type = 'email_received' then occurred_at end) as last_received_at,
        count(case when event_type = 'email_received' then 1 end) as emails_received,
        max(case when event_type = 'email_opened' then occurred_at end) as last_opened_at,
        max(case when event_type in ('email_opened', 'email_clicked') then occurred_at end)
            as last_email_engaged_at
    from events
    group by customer_id

),

final as (

    select
        summary.customer_id,
        summary.first_received_at,
        summary.last_received_at,
        summary.emails_received,
        summary.last_opened_at,
        summary.last_email_engaged_at,
        nth_last.nth_last_received_at,
        -- null: fewer than N emails received, so "none of the last N" cannot be said
        case
            when nth_last.nth_last_received_at is null then null
            when summary.last_opened_at >= nth_last.nth_last_received_at then false
            else true
        end as unopened_last_n
    from summary
    left join nth_last on nth_last.customer_id = summary.customer_id

)

select * from final
