{{
    config(
        materialized='incremental',
        unique_key='meta_insight_id',
        incremental_strategy=upsert_strategy(),
        on_schema_change='append_new_columns',
        post_hook="{{ delete_deleted_versions() }}"
    )
}}
with

source as (

    select * from {{ source('meta_ads', 'insights') }}

),

latest as (

    -- Meta restates recent days (attribution windows): the newest read of a
    -- campaign-day replaces the earlier ones.
    {{ latest_versions('source') }}

),

actions as (

    select
        latest.id,
        sum(case when {{ json_text('action.value', 'action_type') }} in ('purchase', 'offsite_conversion.fb_pixel_purchase')
            then cast({{ json_text('action.value', 'value') }} as integer) else 0 end) as purchases,
        sum(case when {{ json_text('action.value', 'action_type') }} = 'lead'
            then cast({{ json_text('action.value', 'value') }} as integer) else 0 end) as leads
    from latest
    {{ unnest_json_array(json_get('latest.payload', 'actions'), 'action') }}
    group by latest.id

),

current_rows as (

    select
        cast(latest.id as {{ type_varchar() }}) as meta_insight_id,
        {{ json_text('payload', 'campaign_id') }} as meta_campaign_id,
        cast({{ json_text('payload', 'date_start') }} as date) as report_date,
        cast({{ json_text('payload', 'impressions') }} as bigint) as impressions,
        cast({{ json_text('payload', 'clicks') }} as bigint) as clicks,
        cast({{ json_text('payload', 'spend') }} as decimal(18, 2)) as spend,
        coalesce(actions.purchases, 0) as purchases,
        coalesce(actions.leads, 0) as leads,
        latest._loaded_at,
        latest.deleted as _deleted
    from latest
    left join actions on actions.id = latest.id

)

select * from current_rows
{{ keep_current() }}
