{{
    config(
        materialized='incremental',
        unique_key='klaviyo_event_id',
        incremental_strategy=upsert_strategy(),
        on_schema_change='append_new_columns',
        post_hook="{{ delete_deleted_versions() }}"
    )
}}
with

source as (

    select * from {{ source('klaviyo', 'events') }}

),

latest as (

    {{ latest_versions('source') }}

),

metrics as (

    select * from {{ ref('stg_klaviyo__metrics') }}

),

renamed as (

    select
        -- ids
        cast(latest.id as {{ type_varchar() }}) as klaviyo_event_id,
        {{ json_text('payload', ['relationships', 'profile', 'data', 'id']) }} as klaviyo_profile_id,
        {{ json_text('payload', ['relationships', 'metric', 'data', 'id']) }} as klaviyo_metric_id,

        -- strings
        {{ json_text('payload', ['attributes', 'event_properties', 'Campaign Name']) }} as campaign_name,
        {{ json_text('payload', ['attributes', 'event_properties', 'Subject']) }} as subject,
        {{ json_text('payload', ['attributes', 'event_properties', 'URL']) }} as url,
        -- Viewed Product (Klaviyo's onsite tracking): the product and its first category
        {{ json_text('payload', ['attributes', 'event_properties', 'ProductID']) }} as product_id,
        {{ json_text('payload', ['attributes', 'event_properties', 'Categories', 0]) }} as product_category,

        -- timestamps
        {{ to_utc(json_text('payload', ['attributes', 'datetime'])) }} as occurred_at,
        latest._loaded_at,
        latest.deleted as _deleted

    from latest

)

select
    renamed.*,
    metrics.metric_name,
    -- Klaviyo's built-in email metrics, as one short vocabulary for the timeline.
    case metrics.metric_name
        when 'Received Email' then 'email_received'
        when 'Opened Email' then 'email_opened'
        when 'Clicked Email' then 'email_clicked'
        when 'Unsubscribed' then 'email_unsubscribed'
        when 'Unsubscribed from Email Marketing' then 'email_unsubscribed'
        when 'Bounced Email' then 'email_bounced'
        when 'Marked Email as Spam' then 'email_marked_spam'
        when 'Viewed Product' then 'product_viewed'
        else 'klaviyo_other'
    end as event_type
from renamed
left join metrics on metrics.klaviyo_metric_id = renamed.klaviyo_metric_id
{{ keep_current() }}
