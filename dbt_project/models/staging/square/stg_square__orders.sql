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

renamed as (

    select
        -- ids
        cast(id as {{ type_varchar() }}) as square_order_id,
        {{ json_text('payload', 'location_id') }} as location_id,
        {{ json_text('payload', 'customer_id') }} as square_customer_id,
        -- Square's field for an id in another system: a store return of an
        -- online order names the Shopify order here
        {{ json_text('payload', 'reference_id') }} as reference_id,

        -- strings
        {{ json_text('payload', 'state') }} as order_state,
        {{ json_text('payload', ['source', 'name']) }} as source_name,
        {{ json_text('payload', ['total_money', 'currency']) }} as currency,

        -- numerics: Square money is an integer amount in the currency's smallest unit
        cast(cast({{ json_text('payload', ['total_money', 'amount']) }} as decimal(18, 2)) / 100 as decimal(18, 2)) as total_price,
        cast(coalesce(cast({{ json_text('payload', ['return_amounts', 'total_money', 'amount']) }} as decimal(18, 2)), 0) / 100 as decimal(18, 2)) as returned_amount,
        case
            when {{ json_text('payload', 'state') }} = 'COMPLETED'
            then cast(
                (cast({{ json_text('payload', ['total_money', 'amount']) }} as decimal(18, 2))
                - coalesce(cast({{ json_text('payload', ['return_amounts', 'total_money', 'amount']) }} as decimal(18, 2)), 0))
                / 100 as decimal(18, 2))
            else cast(0 as decimal(18, 2))
        end as net_revenue,

        -- booleans: an order that only takes goods back (returns, no line items)
        coalesce({{ json_text('payload', ['line_items', 0]) }} is null
            and {{ json_text('payload', ['returns', 0]) }} is not null, false) as is_return_only,

        -- timestamps
        {{ to_utc(json_text('payload', 'created_at')) }} as ordered_at,
        {{ to_utc(json_text('payload', 'closed_at')) }} as closed_at,
        updated_at,
        _loaded_at,
        deleted as _deleted

    from latest

)

select * from renamed
{{ keep_current() }}
