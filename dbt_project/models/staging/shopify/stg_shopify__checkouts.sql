{{
    config(
        materialized='incremental',
        unique_key='shopify_checkout_id',
        incremental_strategy=upsert_strategy(),
        on_schema_change='append_new_columns',
        post_hook="{{ delete_deleted_versions() }}"
    )
}}
with

source as (

    select * from {{ source('shopify', 'checkouts') }}

),

latest as (

    {{ latest_versions('source') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ type_varchar() }}) as shopify_checkout_id,
        {{ json_text('payload', 'token') }} as checkout_token,
        {{ json_text('payload', ['customer', 'id']) }} as shopify_customer_id,

        -- strings
        nullif(lower(trim({{ json_text('payload', 'email') }})), '') as email,
        {{ normalize_email(json_text('payload', 'email')) }} as email_normalized,
        {{ json_text('payload', 'currency') }} as currency,
        {{ json_text('payload', 'abandoned_checkout_url') }} as recovery_url,
        {{ shopify_arrival_columns('payload') }}

        -- numerics
        cast({{ json_text('payload', 'total_price') }} as decimal(18, 2)) as total_price,

        -- booleans
        {{ json_text('payload', 'completed_at') }} is not null as is_completed,

        -- timestamps
        {{ to_utc(json_text('payload', 'created_at')) }} as created_at,
        {{ to_utc(json_text('payload', 'completed_at')) }} as completed_at,
        updated_at,
        _loaded_at,
        deleted as _deleted

    from latest

)

select * from renamed
{{ keep_current() }}
