{{
    config(
        materialized='incremental',
        unique_key='square_customer_id',
        incremental_strategy=upsert_strategy(),
        on_schema_change='append_new_columns',
        post_hook="{{ delete_deleted_versions() }}"
    )
}}
with

source as (

    select * from {{ source('square', 'customers') }}

),

latest as (

    {{ latest_versions('source') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ type_varchar() }}) as square_customer_id,

        -- strings
        nullif(lower(trim({{ json_text('payload', 'email_address') }})), '') as email,
        {{ normalize_email(json_text('payload', 'email_address')) }} as email_normalized,
        nullif(trim({{ json_text('payload', 'phone_number') }}), '') as phone,
        {{ phone_e164(json_text('payload', 'phone_number'), json_text('payload', ['address', 'country'])) }} as phone_e164,
        nullif(trim({{ json_text('payload', 'given_name') }}), '') as first_name,
        nullif(trim({{ json_text('payload', 'family_name') }}), '') as last_name,
        {{ json_text('payload', 'creation_source') }} as creation_source,
        -- the customer's address, as the clerk typed it and as keys
        nullif(trim({{ json_text('payload', ['address', 'address_line_1']) }}), '') as address_line1,
        nullif(trim({{ json_text('payload', ['address', 'address_line_2']) }}), '') as address_line2,
        nullif(trim({{ json_text('payload', ['address', 'locality']) }}), '') as address_city,
        nullif(trim({{ json_text('payload', ['address', 'administrative_district_level_1']) }}), '') as address_region,
        nullif(trim({{ json_text('payload', ['address', 'postal_code']) }}), '') as address_postal_code,
        upper({{ json_text('payload', ['address', 'country']) }}) as address_country_code,
        {{ normalize_street(json_text('payload', ['address', 'address_line_1'])) }} as address_street_normalized,
        {{ normalize_postal_code(
            json_text('payload', ['address', 'postal_code']),
            json_text('payload', ['address', 'country'])
        ) }} as address_postal_code_normalized,

        -- booleans: Square keeps one marketing flag, preferences.email_unsubscribed
        coalesce(
            cast({{ json_text('payload', ['preferences', 'email_unsubscribed']) }} as boolean),
            false
        ) as email_unsubscribed,

        -- timestamps
        {{ to_utc(json_text('payload', 'created_at')) }} as created_at,
        updated_at,
        _loaded_at,
        deleted as _deleted

    from latest

)

select * from renamed
{{ keep_current() }}
