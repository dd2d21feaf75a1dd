{{
    config(
        materialized='incremental',
        unique_key='shopify_order_id',
        incremental_strategy=upsert_strategy(),
        on_schema_change='append_new_columns',
        post_hook="{{ delete_deleted_versions() }}"
    )
}}
with

source as (

    select * from {{ source('shopify', 'orders') }}

),

latest as (

    {{ latest_versions('source') }}

),

lines as (

    select
        {{ json_text('line.value', 'id') }} as shopify_order_line_id,
        cast(latest.id as {{ type_varchar() }}) as shopify_order_id,
        {{ json_text('line.value', 'product_id') }} as shopify_product_id,
        {{ json_text('line.value', 'variant_id') }} as shopify_variant_id,
        {{ json_text('line.value', 'sku') }} as sku,
        {{ json_text('line.value', 'title') }} as title,
        cast({{ json_text('line.value', 'quantity') }} as integer) as quantity,
        cast({{ json_text('line.value', 'price') }} as decimal(18, 2)) as unit_price,
        cast({{ json_text('line.value', 'quantity') }} as integer)
            * cast({{ json_text('line.value', 'price') }} as decimal(18, 2)) as line_total,
        {{ to_utc(json_text('latest.payload', 'created_at')) }} as ordered_at,
        latest._loaded_at,
        latest.deleted as _deleted
    from latest
    {{ unnest_json_array(json_get('latest.payload', 'line_items'), 'line') }}

)

select * from lines
{{ keep_current() }}
