{{
    config(
        materialized='incremental',
        unique_key='square_order_id',
        incremental_strategy=upsert_strategy(),
        on_schema_change='append_new_columns',
        post_hook="{{ delete_deleted_versions() }}"
    )
}}
with

source as (

    select * from {{ source('square', 'orders') }}

),

latest as (

    {{ latest_versions('source') }}

),

lines as (

    select
        {{ json_text('line.value', 'uid') }} as square_order_line_uid,
        cast(latest.id as {{ type_varchar() }}) as square_order_id,
        {{ json_text('line.value', 'catalog_object_id') }} as catalog_object_id,
        -- The store's POS catalogue carries the online SKU in the item note.
        {{ json_text('line.value', 'note') }} as sku,
        {{ json_text('line.value', 'name') }} as title,
        cast({{ json_text('line.value', 'quantity') }} as decimal(18, 3)) as quantity,
        cast(cast({{ json_text('line.value', ['base_price_money', 'amount']) }} as decimal(18, 2)) / 100 as decimal(18, 2)) as unit_price,
        cast(cast({{ json_text('line.value', ['total_money', 'amount']) }} as decimal(18, 2)) / 100 as decimal(18, 2)) as line_total,
        {{ to_utc(json_text('latest.payload', 'created_at')) }} as ordered_at,
        latest._loaded_at,
        latest.deleted as _deleted
    from latest
    {{ unnest_json_array(json_get('latest.payload', 'line_items'), 'line') }}

)

select * from lines
{{ keep_current() }}
