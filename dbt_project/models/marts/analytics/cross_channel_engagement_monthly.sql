{#- Per calendar month: the customers active in it (any engaging event, see
    int_analytics__engagements) and the share of them engaged on at least
    analytics_cross_channel_min_channels channels in that month. The current
    month is still running (is_complete_month false). -#}
with

engagements as (

    select * from {{ ref('int_analytics__engagements') }}

),

customer_months as (

    select
        cast({{ dbt.date_trunc('month', 'occurred_at') }} as date) as month,
        customer_id,
        count(distinct channel) as channels
    from engagements
    group by {{ dbt.date_trunc('month', 'occurred_at') }}, customer_id

),

monthly as (

    select
        month,
        count(*) as active_customers,
        count(case when channels >= {{ var('analytics_cross_channel_min_channels') }} then 1 end)
            as cross_channel_customers,
        count(case when channels = 1 then 1 end) as one_channel_customers,
        count(case when channels = 2 then 1 end) as two_channel_customers,
        count(case when channels >= 3 then 1 end) as three_plus_channel_customers
    from customer_months
    group by month

),

final as (

    select
        cast(month as date) as month,
        cast({{ dbt.dateadd('month', 1, 'month') }} <= {{ as_of() }} as boolean) as is_complete_month,
        cast(active_customers as bigint) as active_customers,
        cast(cross_channel_customers as bigint) as cross_channel_customers,
        cast(cross_channel_customers as {{ type_double() }}) / active_customers as cross_channel_rate,
        cast(one_channel_customers as bigint) as one_channel_customers,
        cast(two_channel_customers as bigint) as two_channel_customers,
        cast(three_plus_channel_customers as bigint) as three_plus_channel_customers
    from monthly

)

select * from final
