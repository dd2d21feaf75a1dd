{{
    config(
        materialized='incremental',
        unique_key='shopify_customer_id',
        incremental_strategy=upsert_strategy(),
        on_schema_change='append_new_columns',
        post_hook="{{ delete_deleted_versions() }}"
    )
}}
with

source as (

    select * from {{ source('shopify', 'customers') }}

),

latest as (

    {{ latest_versions('source') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ type_varchar() }}) as shopify_customer_id,

        -- strings
        nullif(lower(trim({{ json_text('payload', 'email') }})), '') as email,
        {{ normalize_email(json_text('payload', 'email')) }} as email_normalized,
        nullif(trim({{ json_text('payload', 'phone') }}), '') as phone,
        {{ phone_e164(json_text('payload', 'phone'), json_text('payload', ['default_address', 'country_code'])) }} as phone_e164,
        upper({{ json_text('payload', ['default_address', 'country_code']) }}) as country_code,
        nullif(trim({{ json_text('payload', 'first_name') }}), '') as first_name,
        nullif(trim({{ json_text('payload', 'last_name') }}), '') as last_name,
        coalesce({{ json_text('payload', 'tags') }}, '') as tags,
        -- the default address (the one given at checkout), as typed and as keys
        nullif(trim({{ json_text('payload', ['default_address', 'address1']) }}), '') as address_line1,
        nullif(trim({{ json_text('payload', ['default_address', 'address2']) }}), '') as address_line2,
        nullif(trim({{ json_text('payload', ['default_address', 'city']) }}), '') as address_city,
        nullif(trim({{ json_text('payload', ['default_address', 'province_code']) }}), '') as address_region,
        nullif(trim({{ json_text('payload', ['default_address', 'zip']) }}), '') as address_postal_code,
        {{ normalize_street(json_text('payload', ['default_address', 'address1'])) }} as address_street_normalized,
        {{ normalize_postal_code(
            json_text('payload', ['default_address', 'zip']),
            json_text('payload', ['default_address', 'country_code'])
        ) }} as address_postal_code_normalized,
        nullif(trim({{ json_text('payload', ['default_address', 'phone']) }}), '') as address_phone,
        {{ phone_e164(json_text('payload', ['default_address', 'phone']), json_text('payload', ['default_address', 'country_code'])) }} as address_phone_e164,
        {{ json_text('payload', ['email_marketing_consent', 'state']) }} as email_marketing_state,
        {{ json_text('payload', ['sms_marketing_consent', 'state']) }} as sms_marketing_state,

        -- numerics
        cast({{ json_text('payload', 'orders_count') }} as integer) as orders_count,
        cast({{ json_text('payload', 'total_spent') }} as decimal(18, 2)) as total_spent,

        -- booleans
        coalesce(
            {{ json_text('payload', ['email_marketing_consent', 'state']) }} = 'subscribed',
            false
        ) as accepts_email_marketing,
        coalesce(
            {{ json_text('payload', ['sms_marketing_consent', 'state']) }} = 'subscribed',
            false
        ) as accepts_sms_marketing,

        -- timestamps
        {{ to_utc(json_text('payload', ['email_marketing_consent', 'consent_updated_at'])) }} as email_consent_updated_at,
        {{ to_utc(json_text('payload', ['sms_marketing_consent', 'consent_updated_at'])) }} as sms_consent_updated_at,
        {{ to_utc(json_text('payload', 'created_at')) }} as created_at,
        updated_at,
        _loaded_at,
        deleted as _deleted

    from latest

)

select * from renamed
{{ keep_current() }}
