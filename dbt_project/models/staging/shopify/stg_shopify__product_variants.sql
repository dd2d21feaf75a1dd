with

source as (

    select * from {{ source('shopify', 'products') }}

),

latest as (

    {{ latest_versions('source') }}

)

select
    {{ json_text('variant.value', 'id') }} as shopify_variant_id,
    cast(latest.id as {{ type_varchar() }}) as shopify_product_id,
    {{ json_text('variant.value', 'sku') }} as sku,
    {{ json_text('variant.value', 'title') }} as variant_title,
    cast({{ json_text('variant.value', 'price') }} as decimal(18, 2)) as price,
    cast({{ json_text('variant.value', 'inventory_quantity') }} as integer) as inventory_quantity,
    -- 'continue' keeps selling when stock runs out; 'deny' (the default) stops
    coalesce({{ json_text('variant.value', 'inventory_policy') }}, 'deny') as inventory_policy
from latest
{{ unnest_json_array(json_get('latest.payload', 'variants'), 'variant') }}
