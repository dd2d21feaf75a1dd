{{
    config(
        materialized='incremental',
        unique_key='square_loyalty_account_id',
        incremental_strategy=upsert_strategy(),
        on_schema_change='append_new_columns',
        post_hook="{{ delete_deleted_versions() }}"
    )
}}
with

source as (

    select * from {{ source('square', 'loyalty_accounts') }}

),

latest as (

    {{ latest_versions('source') }}

),

current_rows as (

    select
        cast(id as {{ type_varchar() }}) as square_loyalty_account_id,
        {{ json_text('payload', 'customer_id') }} as square_customer_id,
        {{ json_text('payload', 'program_id') }} as loyalty_program_id,
        -- A loyalty account is keyed by the buyer's phone (mapping.phone_number).
        {{ phone_e164(json_text('payload', ['mapping', 'phone_number'])) }} as phone_e164,
        cast({{ json_text('payload', 'balance') }} as integer) as points_balance,
        cast({{ json_text('payload', 'lifetime_points') }} as integer) as lifetime_points,
        {{ to_utc(json_text('payload', 'enrolled_at')) }} as enrolled_at,
        updated_at,
        _loaded_at,
        deleted as _deleted
    from latest

)

select * from current_rows
{{ keep_current() }}
