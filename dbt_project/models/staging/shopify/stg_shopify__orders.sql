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

refunds as (

    -- Shopify keeps a refund's money in its transactions (kind = 'refund'); a
    -- full or partial refund alike, and a declined attempt (status 'failure')
    -- moves none.
    select
        latest.id,
        sum(cast({{ json_text('txn.value', 'amount') }} as decimal(18, 2))) as refunded_amount
    from latest
    {{ unnest_json_array(json_get('latest.payload', 'refunds'), 'refund') }}
    {{ unnest_json_array(json_get('refund.value', 'transactions'), 'txn') }}
    where {{ json_text('txn.value', 'kind') }} = 'refund'
        and coalesce({{ json_text('txn.value', 'status') }}, 'success') = 'success'
    group by latest.id

),

renamed as (

    select
        -- ids
        cast(latest.id as {{ type_varchar() }}) as shopify_order_id,
        {{ json_text('payload', ['customer', 'id']) }} as shopify_customer_id,
        {{ json_text('payload', 'name') }} as order_name,

        -- strings
        nullif(lower(trim({{ json_text('payload', 'email') }})), '') as email,
        {{ normalize_email(json_text('payload', 'email')) }} as email_normalized,
        {{ json_text('payload', 'financial_status') }} as financial_status,
        {{ json_text('payload', 'fulfillment_status') }} as fulfillment_status,
        {{ json_text('payload', 'currency') }} as currency,
        {{ shopify_arrival_columns('payload') }}

        -- numerics
        cast({{ json_text('payload', 'total_price') }} as decimal(18, 2)) as total_price,
        cast(coalesce(refunds.refunded_amount, 0) as decimal(18, 2)) as refunded_amount,
        cast(case
            when {{ json_text('payload', 'cancelled_at') }} is not null then 0
            else cast({{ json_text('payload', 'total_price') }} as decimal(18, 2))
                - coalesce(refunds.refunded_amount, 0)
        end as decimal(18, 2)) as net_revenue,

        -- booleans
        {{ json_text('payload', 'cancelled_at') }} is not null as is_cancelled,

        -- timestamps
        {{ to_utc(json_text('payload', 'created_at')) }} as ordered_at,
        {{ to_utc(json_text('payload', 'cancelled_at')) }} as cancelled_at,
        latest.updated_at,
        latest._loaded_at,
        latest.deleted as _deleted

    from latest
    left join refunds on refunds.id = latest.id

)

select * from renamed
{{ keep_current() }}
