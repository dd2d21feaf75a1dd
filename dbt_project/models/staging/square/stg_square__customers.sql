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
