{#- One row per sellable SKU: the product it belongs to, its category, and
    whether it can be bought right now. A SKU is unavailable when its product is
    not active, or its stock is gone and the variant does not keep selling when
    out of stock (inventory_policy 'continue'). Store order lines carry the same
    SKU, so this is the catalog both channels share. -#}
with

variants as (

    select * from {{ ref('stg_shopify__product_variants') }}

),

products as (

    select * from {{ ref('stg_shopify__products') }}

),

final as (

    select
        variants.sku,
        variants.shopify_variant_id,
        variants.shopify_product_id,
        products.title as product_title,
        products.product_category,
        products.handle as product_handle,
        variants.price,
        variants.inventory_quantity,
        coalesce(products.status, 'active') = 'active'
            and (coalesce(variants.inventory_quantity, 0) > 0 or variants.inventory_policy = 'continue')
            as is_available
    from variants
    inner join products on products.shopify_product_id = variants.shopify_product_id
    where variants.sku is not null

)

select * from final
