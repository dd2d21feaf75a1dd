{{
    config(
        materialized='incremental',
        unique_key='klaviyo_profile_id',
        incremental_strategy=upsert_strategy(),
        on_schema_change='append_new_columns',
        post_hook="{{ delete_deleted_versions() }}"
    )
}}
with

source as (

    select * from {{ source('klaviyo', 'profiles') }}

),

latest as (

    {{ latest_versions('source') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ type_varchar() }}) as klaviyo_profile_id,
        {{ json_text('payload', ['attributes', 'external_id']) }} as external_id,

        -- strings
        nullif(lower(trim({{ json_text('payload', ['attributes', 'email']) }})), '') as email,
        {{ normalize_email(json_text('payload', ['attributes', 'email'])) }} as email_normalized,
        nullif(trim({{ json_text('payload', ['attributes', 'phone_number']) }}), '') as phone,
        {{ phone_e164(json_text('payload', ['attributes', 'phone_number']), json_text('payload', ['attributes', 'location', 'country'])) }} as phone_e164,
        nullif(trim({{ json_text('payload', ['attributes', 'first_name']) }}), '') as first_name,
        nullif(trim({{ json_text('payload', ['attributes', 'last_name']) }}), '') as last_name,
        upper({{ json_text('payload', ['attributes', 'location', 'country']) }}) as country_code,

        -- consent: subscriptions.email.marketing (Get Profiles, additional-fields[profile]=subscriptions)
        {{ json_text('payload', ['attributes', 'subscriptions', 'email', 'marketing', 'consent']) }} as email_consent,
        coalesce(
            cast({{ json_text('payload', ['attributes', 'subscriptions', 'email', 'marketing', 'can_receive_email_marketing']) }} as boolean),
            false
        ) as can_receive_email_marketing,
        {{ json_text('payload', ['attributes', 'subscriptions', 'email', 'marketing', 'suppression', 0, 'reason']) }} as suppression_reason,
        {{ to_utc(json_text('payload', ['attributes', 'subscriptions', 'email', 'marketing', 'consent_timestamp'])) }} as email_consent_at,

        -- timestamps
        {{ to_utc(json_text('payload', ['attributes', 'created'])) }} as created_at,
        {{ to_utc(json_text('payload', ['attributes', 'last_event_date'])) }} as last_event_at,
        updated_at,
        _loaded_at,
        deleted as _deleted

    from latest

)

select
    *,
    suppression_reason is not null as is_suppressed
from renamed
{{ keep_current() }}
