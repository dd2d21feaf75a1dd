with

source as (

    select * from {{ source('klaviyo', 'lists') }}

),

latest as (

    {{ latest_versions('source') }}

)

select
    cast(id as {{ type_varchar() }}) as klaviyo_list_id,
    {{ json_text('payload', ['attributes', 'name']) }} as list_name,
    {{ json_text('payload', ['attributes', 'opt_in_process']) }} as opt_in_process,
    {{ to_utc(json_text('payload', ['attributes', 'created'])) }} as created_at,
    updated_at
from latest
