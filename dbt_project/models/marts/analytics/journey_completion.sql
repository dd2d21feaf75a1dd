{#- Journey completion by the month journeys started: abandoned cart ->
    purchase within analytics_cart_window_days, lead -> first purchase within
    analytics_lead_window_days. completion_rate is completed / started, so a
    month whose journeys are still open (window not closed, not completed) can
    still rise: still_open says by how many at most. -#}
with

journeys as (

    select * from {{ ref('int_analytics__journeys') }}

),

final as (

    select
        cast(journey as {{ type_varchar() }}) as journey,
        cast({{ dbt.date_trunc('month', 'started_at') }} as date) as start_month,
        cast(max(window_days) as integer) as window_days,
        cast(count(*) as bigint) as started,
        cast(count(case when is_completed then 1 end) as bigint) as completed,
        cast(count(case when is_open then 1 end) as bigint) as still_open,
        cast(count(case when is_completed then 1 end) as {{ type_double() }}) / count(*)
            as completion_rate,
        cast(avg(hours_to_complete) as {{ type_double() }}) as avg_hours_to_complete,
        cast(percentile_cont(0.5) within group (order by hours_to_complete) as {{ type_double() }})
            as median_hours_to_complete
    from journeys
    group by 1, 2

)

select * from final
