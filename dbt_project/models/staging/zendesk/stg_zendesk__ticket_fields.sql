{#- One row per current Zendesk ticket x custom ticket field with a value
    (`custom_fields`: [{id, value}]), the value as text, trimmed. Which field
    means what is the account's own (e.g. var zendesk_order_number_field_id).
    Rebuilt whole from the newest ticket versions; deleted tickets have none. -#}
with

source as (

    select * from {{ source('zendesk', 'tickets') }}

),

latest as (

    {{ latest_versions('source') }}

),

fields as (

    select
        cast(latest.id as {{ type_varchar() }}) as zendesk_ticket_id,
        cast({{ json_text('field.value', 'id') }} as {{ type_varchar() }}) as field_id,
        nullif(trim({{ json_text('field.value', 'value') }}), '') as field_value
    from latest
    {{ unnest_json_array(json_get('latest.payload', 'custom_fields'), 'field') }}
    where coalesce({{ json_text('latest.payload', 'status') }}, '') <> 'deleted'

)

select
    zendesk_ticket_id || ':' || field_id as zendesk_ticket_field_id,
    zendesk_ticket_id,
    field_id,
    field_value
from fields
where field_id is not null and field_value is not null
