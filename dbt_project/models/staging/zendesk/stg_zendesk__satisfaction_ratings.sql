with

source as (

    select * from {{ source('zendesk', 'satisfaction_ratings') }}

),

latest as (

    {{ latest_versions('source') }}

)

select
    cast(id as varchar) as zendesk_satisfaction_rating_id,
    {{ json_text('payload', 'ticket_id') }} as zendesk_ticket_id,
    {{ json_text('payload', 'requester_id') }} as zendesk_user_id,
    {{ json_text('payload', 'score') }} as score,
    nullif(trim({{ json_text('payload', 'comment') }}), '') as comment,
    {{ to_utc(json_text('payload', 'created_at')) }} as rated_at,
    updated_at
from latest
-- "offered" means the survey was sent but not answered.
where {{ json_text('payload', 'score') }} in ('good', 'bad')
