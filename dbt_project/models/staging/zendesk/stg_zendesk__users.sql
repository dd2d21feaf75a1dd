with

source as (

    select * from {{ source('zendesk', 'users') }}

),

latest as (

    {{ latest_versions('source') }}

),

renamed as (

    select
        cast(id as varchar) as zendesk_user_id,
        nullif(trim({{ json_text('payload', 'name') }}), '') as full_name,
        nullif(lower(trim({{ json_text('payload', 'email') }})), '') as email,
        {{ normalize_email(json_text('payload', 'email')) }} as email_normalized,
        nullif(trim({{ json_text('payload', 'phone') }}), '') as phone,
        {{ phone_e164(json_text('payload', 'phone')) }} as phone_e164,
        {{ json_text('payload', 'role') }} as user_role,
        coalesce(cast({{ json_text('payload', 'active') }} as boolean), true) as is_active,
        {{ to_utc(json_text('payload', 'created_at')) }} as created_at,
        updated_at,
        _loaded_at
    from latest

)

select * from renamed
-- Agents and admins are staff, not customers.
where user_role = 'end-user'
