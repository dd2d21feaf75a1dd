{{
    config(
        materialized='incremental',
        unique_key='meta_lead_id',
        incremental_strategy=upsert_strategy(),
        on_schema_change='append_new_columns',
        post_hook="{{ delete_deleted_versions() }}"
    )
}}
with

source as (

    select * from {{ source('meta_ads', 'leads') }}

),

latest as (

    {{ latest_versions('source') }}

),

fields as (

    -- field_data is [{"name": "email", "values": ["..."]}, ...]; one value each here.
    select
        latest.id,
        max(case when {{ json_text('field.value', 'name') }} = 'email'
            then {{ json_text('field.value', ['values', 0]) }} end) as email,
        max(case when {{ json_text('field.value', 'name') }} = 'phone_number'
            then {{ json_text('field.value', ['values', 0]) }} end) as phone,
        max(case when {{ json_text('field.value', 'name') }} = 'full_name'
            then {{ json_text('field.value', ['values', 0]) }} end) as full_name,
        max(case when {{ json_text('field.value', 'name') }} = 'email_marketing_consent'
            then {{ json_text('field.value', ['values', 0]) }} end) as email_marketing_consent
    from latest
    {{ unnest_json_array(json_get('latest.payload', 'field_data'), 'field') }}
    group by latest.id

),

current_rows as (

    select
        cast(latest.id as {{ type_varchar() }}) as meta_lead_id,
        {{ json_text('payload', 'form_id') }} as meta_form_id,
        {{ json_text('payload', 'campaign_id') }} as meta_campaign_id,
        {{ json_text('payload', 'ad_id') }} as meta_ad_id,
        nullif(lower(trim(fields.email)), '') as email,
        {{ normalize_email('fields.email') }} as email_normalized,
        nullif(trim(fields.phone), '') as phone,
        {{ phone_e164('fields.phone') }} as phone_e164,
        nullif(trim(fields.full_name), '') as full_name,
        coalesce(lower(fields.email_marketing_consent) in ('yes', 'true', '1'), false)
            as accepts_email_marketing,
        coalesce(cast({{ json_text('payload', 'is_organic') }} as boolean), false) as is_organic,
        {{ to_utc(json_text('payload', 'created_time')) }} as created_at,
        latest._loaded_at,
        latest.deleted as _deleted
    from latest
    left join fields on fields.id = latest.id

)

select * from current_rows
{{ keep_current() }}
