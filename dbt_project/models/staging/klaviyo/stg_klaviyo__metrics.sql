with

source as (

    select * from {{ source('klaviyo', 'metrics') }}

),

latest as (

    {{ latest_versions('source') }}

)

select
    cast(id as {{ type_varchar() }}) as klaviyo_metric_id,
    {{ json_text('payload', ['attributes', 'name']) }} as metric_name,
    {{ json_text('payload', ['attributes', 'integration', 'name']) }} as integration_name,
    {{ to_utc(json_text('payload', ['attributes', 'created'])) }} as created_at,
    updated_at
from latest
