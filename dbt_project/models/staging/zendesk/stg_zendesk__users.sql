{{
    config(
        materialized='incremental',
        unique_key='zendesk_user_id',
        incremental_strategy=upsert_strategy(),
        on_schema_change='append_new_columns',
        post_hook="{{ delete_deleted_versions() }}"
    )
}}
with

source as (

    select * from {{ source('zendesk', 'users') }}

),

latest as (

    {{ latest_versions('source') }}

),

renamed as (

    select
        cast(id as {{ type_varchar() }}) as zendesk_user_id,
        nullif(trim({{ json_text('payload', 'name') }}), '') as full_name,
        nullif(lower(trim({{ json_text('payload', 'email') }})), '') as email,
        {{ normalize_email(json_text('payload', 'email')) }} as email_normalized,
        nullif(trim({{ json_text('payload', 'phone') }}), '') as phone,
        {{ phone_e164(json_text('payload', 'phone')) }} as phone_e164,
        {{ json_text('payload', 'role') }} as user_role,
        coalesce(cast({{ json_text('payload', 'active') }} as boolean), true) as is_active,
        {{ to_utc(json_text('payload', 'created_at')) }} as created_at,
        updated_at,
        _loaded_at,
        -- agents and admins are staff, not customers
        deleted or coalesce({{ json_text('payload', 'role') }}, '') <> 'end-user' as _deleted
    from latest

)

select * from renamed
{{ keep_current() }}
