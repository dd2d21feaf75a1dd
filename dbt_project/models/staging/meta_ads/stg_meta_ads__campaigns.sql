with

source as (

    select * from {{ source('meta_ads', 'campaigns') }}

),

latest as (

    {{ latest_versions('source') }}

)

select
    cast(id as {{ type_varchar() }}) as meta_campaign_id,
    {{ json_text('payload', 'name') }} as campaign_name,
    {{ json_text('payload', 'objective') }} as objective,
    {{ json_text('payload', 'effective_status') }} as effective_status,
    {{ to_utc(json_text('payload', 'created_time')) }} as created_at,
    updated_at
from latest
