{#- Lead quality by where the lead came from: for each Meta lead form,
    campaign and ad, of the leads from people who had not bought yet (the
    lead_to_first_purchase journeys), how many made a first purchase within
    analytics_lead_window_days (the last second included), how long it took and
    what that first order was worth (net). Leads whose window is still open and
    not yet converted are counted in still_open: the rate can still rise. -#}
with

journeys as (

    select * from {{ ref('int_analytics__journeys') }}
    where journey = 'lead_to_first_purchase'

),

leads as (

    select * from {{ ref('stg_meta_ads__leads') }}

),

campaigns as (

    select * from {{ ref('stg_meta_ads__campaigns') }}

),

purchases as (

    select * from {{ ref('int_analytics__purchases') }}

),

sourced as (

    select
        journeys.started_by,
        journeys.is_completed,
        journeys.is_open,
        journeys.hours_to_complete / 24 as days_to_first_purchase,
        purchases.net_revenue as first_order_value,
        leads.meta_form_id,
        leads.meta_campaign_id,
        coalesce(campaigns.campaign_name, leads.meta_campaign_id) as campaign_name,
        leads.meta_ad_id
    from journeys
    inner join leads on 'meta_ads:lead:' || leads.meta_lead_id = journeys.started_by
    left join campaigns on campaigns.meta_campaign_id = leads.meta_campaign_id
    left join purchases on purchases.order_key = journeys.completed_by_order_key

),

by_source as (

    select 'form' as source_type, meta_form_id as source_id, meta_form_id as source_name, sourced.*
    from sourced

    union all

    select 'campaign' as source_type, meta_campaign_id as source_id, campaign_name as source_name, sourced.*
    from sourced

    union all

    select 'ad' as source_type, meta_ad_id as source_id, meta_ad_id as source_name, sourced.*
    from sourced

),

final as (

    select
        cast(source_type || ':' || coalesce(source_id, 'unknown') as {{ type_varchar() }}) as lead_source_id,
        cast(source_type as {{ type_varchar() }}) as source_type,
        cast(coalesce(source_id, 'unknown') as {{ type_varchar() }}) as source_id,
        cast(coalesce(max(source_name), 'unknown') as {{ type_varchar() }}) as source_name,
        cast({{ var('analytics_lead_window_days') }} as integer) as window_days,
        cast(count(*) as bigint) as leads,
        cast(count(case when is_completed then 1 end) as bigint) as converted,
        cast(count(case when is_open then 1 end) as bigint) as still_open,
        cast(count(case when is_completed then 1 end) as {{ type_double() }}) / count(*)
            as conversion_rate,
        cast(avg(days_to_first_purchase) as {{ type_double() }}) as avg_days_to_first_purchase,
        cast(percentile_cont(0.5) within group (order by days_to_first_purchase) as {{ type_double() }})
            as median_days_to_first_purchase,
        cast(avg(first_order_value) as decimal(18, 2)) as avg_first_order_value,
        cast(coalesce(sum(first_order_value), 0) as decimal(18, 2)) as first_order_revenue
    from by_source
    group by source_type, coalesce(source_id, 'unknown')

)

select * from final
