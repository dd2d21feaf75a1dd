{{
    config(
        materialized='incremental',
        unique_key='zendesk_satisfaction_rating_id',
        incremental_strategy=upsert_strategy(),
        on_schema_change='append_new_columns',
        post_hook="{{ delete_deleted_versions() }}"
    )
}}
with

source as (

    select * from {{ source('zendesk', 'satisfaction_ratings') }}

),

latest as (

    {{ latest_versions('source') }}

),

current_rows as (

    select
        cast(id as {{ type_varchar() }}) as zendesk_satisfaction_rating_id,
        {{ json_text('payload', 'ticket_id') }} as zendesk_ticket_id,
        {{ json_text('payload', 'requester_id') }} as zendesk_user_id,
        {{ json_text('payload', 'score') }} as score,
        nullif(trim({{ json_text('payload', 'comment') }}), '') as comment,
        {{ to_utc(json_text('payload', 'created_at')) }} as rated_at,
        updated_at,
        _loaded_at,
        -- "offered" means the survey was sent but not answered
        deleted or coalesce({{ json_text('payload', 'score') }}, '') not in ('good', 'bad') as _deleted
    from latest

)

select * from current_rows
{{ keep_current() }}
