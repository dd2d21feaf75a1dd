with

source as (

    select * from {{ source('shopify', 'products') }}

),

latest as (

    {{ latest_versions('source') }}

),

renamed as (

    select
        cast(id as {{ type_varchar() }}) as shopify_product_id,
        {{ json_text('payload', 'title') }} as title,
        nullif(trim({{ json_text('payload', 'product_type') }}), '') as product_category,
        {{ json_text('payload', 'vendor') }} as vendor,
        {{ json_text('payload', 'status') }} as status,
        {{ json_text('payload', 'handle') }} as handle,
        {{ to_utc(json_text('payload', 'created_at')) }} as created_at,
        updated_at
    from latest

)

select * from renamed
