{{
    config(
        materialized='incremental',
        unique_key='zendesk_ticket_id',
        incremental_strategy=upsert_strategy(),
        on_schema_change='append_new_columns',
        post_hook="{{ delete_deleted_versions() }}"
    )
}}
with

source as (

    select * from {{ source('zendesk', 'tickets') }}

),

latest as (

    {{ latest_versions('source') }}

),

renamed as (

    select
        cast(id as {{ type_varchar() }}) as zendesk_ticket_id,
        {{ json_text('payload', 'requester_id') }} as zendesk_user_id,
        {{ json_text('payload', 'status') }} as ticket_status,
        {{ json_text('payload', 'subject') }} as subject,
        {{ json_text('payload', 'priority') }} as priority,
        {{ json_text('payload', 'type') }} as ticket_type,
        {{ json_text('payload', ['via', 'channel']) }} as channel,
        {{ json_text('payload', 'status') }} in ('new', 'open', 'pending', 'hold') as is_open,
        {{ to_utc(json_text('payload', 'created_at')) }} as created_at,
        -- Ticket Metrics, side-loaded by the export (include=metric_sets): calendar
        -- minutes to the first agent reply and to the final solve; null until then
        cast({{ json_text('payload', ['metric_set', 'reply_time_in_minutes', 'calendar']) }} as integer)
            as first_reply_minutes,
        cast({{ json_text('payload', ['metric_set', 'full_resolution_time_in_minutes', 'calendar']) }} as integer)
            as full_resolution_minutes,
        {{ to_utc(json_text('payload', ['metric_set', 'solved_at'])) }} as solved_at,
        updated_at,
        _loaded_at,
        -- the incremental export returns deleted tickets with status "deleted"
        deleted or {{ json_text('payload', 'status') }} = 'deleted' as _deleted
    from latest

)

select * from renamed
{{ keep_current() }}
