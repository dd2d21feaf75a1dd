{#- One row per current Zendesk ticket x tag (tags lower-cased and trimmed, as
    Zendesk stores them): what support hears, by topic. Rebuilt whole from the
    newest ticket versions; deleted tickets have none. -#}
with

source as (

    select * from {{ source('zendesk', 'tickets') }}

),

latest as (

    {{ latest_versions('source') }}

),

tags as (

    select distinct
        cast(latest.id as {{ type_varchar() }}) as zendesk_ticket_id,
        lower(trim({{ json_scalar_text('tag.value') }})) as tag
    from latest
    {{ unnest_json_array(json_get('latest.payload', 'tags'), 'tag') }}
    where coalesce({{ json_text('latest.payload', 'status') }}, '') <> 'deleted'

)

select
    zendesk_ticket_id || ':' || tag as zendesk_ticket_tag_id,
    zendesk_ticket_id,
    tag
from tags
where tag is not null and tag <> ''
