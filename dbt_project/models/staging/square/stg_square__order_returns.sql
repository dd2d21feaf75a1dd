{{
    config(
        materialized='incremental',
        unique_key='square_order_id',
        incremental_strategy=upsert_strategy(),
        on_schema_change='append_new_columns',
        post_hook="{{ delete_deleted_versions() }}"
    )
}}
{#- One row per return entry (Order.returns[], Square's OrderReturn) of a Square
    order. A return of a Square sale names it in source_order_id; an unlinked
    return (source_order_id unset), such as an online order brought back to a
    store, can carry the other system's order in the order's reference_id. -#}
with

source as (

    select * from {{ source('square', 'orders') }}

),

latest as (

    {{ latest_versions('source') }}

),

returns as (

    select
        cast(latest.id as {{ type_varchar() }}) || ':' || {{ json_text('entry.value', 'uid') }} as square_order_return_id,
        cast(latest.id as {{ type_varchar() }}) as square_order_id,
        {{ json_text('entry.value', 'uid') }} as return_uid,
        {{ json_text('entry.value', 'source_order_id') }} as source_order_id,
        {{ json_text('latest.payload', 'reference_id') }} as reference_id,
        {{ json_text('latest.payload', 'customer_id') }} as square_customer_id,
        {{ json_text('latest.payload', 'location_id') }} as location_id,
        {{ json_text('latest.payload', 'state') }} as order_state,
        cast(coalesce(
            cast({{ json_text('entry.value', ['return_amounts', 'total_money', 'amount']) }} as decimal(18, 2)),
            0) / 100 as decimal(18, 2)) as returned_amount,
        {{ to_utc(json_text('latest.payload', 'created_at')) }} as returned_at,
        latest._loaded_at,
        latest.deleted as _deleted
    from latest
    {{ unnest_json_array(json_get('latest.payload', 'returns'), 'entry') }}

)

select * from returns
{{ keep_current() }}
