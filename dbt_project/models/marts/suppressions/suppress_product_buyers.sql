{#- Buyers of an advertised product (var('advertised_skus')) within
    var('product_buyer_lookback_days'): out of that product's ads. One row per
    customer and SKU; synced to Meta as one exclusion audience per SKU. -#}
with

purchases as (

    select * from {{ ref('int_audiences__product_purchases') }}
    where sku in ({{ sql_list(var('advertised_skus')) }})
        and last_bought_at > {{ as_of_minus(var('product_buyer_lookback_days')) }}

),

customers as (

    select * from {{ ref('customers') }}

),

final as (

    select
        customers.customer_id || ':' || purchases.sku as suppression_key,
        {{ audience_member_columns('customers') }},
        purchases.sku as product_sku,
        purchases.product_title,
        purchases.last_bought_at
    from purchases
    inner join customers on customers.customer_id = purchases.customer_id
    -- synced to Meta: never anyone erased
    where {{ not_suppressed() }}

)

select * from final
