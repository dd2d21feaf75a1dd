{#- At risk: valuable customers (lifetime value at least
    var('at_risk_min_value')) whose health fell. "Fell" means today's score
    (customer_health) is at least var('health_fall_points') below their score
    at the previous scoring: the latest row of customer_health_history scored
    on an earlier day. A customer with no earlier score has nothing to fall
    from. For a care email (Klaviyo) and agents' attention (Zendesk tag); it is
    a service audience, so an open ticket does not hold it back. One row per
    customer. -#}
with

health as (

    select * from {{ ref('customer_health') }}

),

history as (

    select * from {{ ref('customer_health_history') }}

),

previous as (

    select customer_id, scored_on, health_score
    from (
        select
            history.customer_id,
            history.scored_on,
            history.health_score,
            row_number() over (
                partition by history.customer_id order by history.scored_on desc
            ) as recency
        from history
        inner join health on health.customer_id = history.customer_id
        where history.scored_on < cast(health.scored_at as date)
    ) as ranked
    where recency = 1

),

customers as (

    select * from {{ ref('customers') }}

),

final as (

    select
        {{ audience_member_columns('customers') }},
        health.health_score,
        health.health_band,
        previous.health_score as previous_health_score,
        previous.scored_on as previous_scored_on,
        cast(previous.health_score - health.health_score as integer) as health_fall,
        customers.lifetime_value
    from health
    inner join previous on previous.customer_id = health.customer_id
    inner join customers on customers.customer_id = health.customer_id
    where customers.lifetime_value >= {{ var('at_risk_min_value') }}
        and previous.health_score - health.health_score >= {{ var('health_fall_points') }}
        and {{ not_suppressed() }}

)

select * from final
