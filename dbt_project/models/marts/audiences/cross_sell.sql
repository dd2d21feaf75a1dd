{#- Cross-sell: bought product A and not its complementary product B (pairs in
    the seed product_pairs), offered B while B can be bought. When several
    pairs apply, the lowest priority, then the SKU, wins. One row per customer. -#}
with

pairs as (

    select * from {{ ref('product_pairs') }}

),

purchases as (

    select * from {{ ref('int_audiences__product_purchases') }}

),

catalog as (

    select * from {{ ref('int_products__catalog') }}

),

candidates as (

    select
        bought_a.customer_id,
        pairs.product_a_sku,
        pairs.product_b_sku,
        pairs.priority,
        pairs.reason,
        catalog.product_title as recommended_product,
        row_number() over (
            partition by bought_a.customer_id
            order by pairs.priority, pairs.product_b_sku, pairs.product_a_sku
        ) as preference
    from pairs
    inner join purchases as bought_a on bought_a.sku = pairs.product_a_sku
    inner join catalog on catalog.sku = pairs.product_b_sku and catalog.is_available
    left join purchases as bought_b
        on bought_b.customer_id = bought_a.customer_id
        and bought_b.sku = pairs.product_b_sku
    where bought_b.customer_id is null

),

customers as (

    select * from {{ ref('customers') }}

),

final as (

    select
        {{ audience_member_columns('customers') }},
        candidates.product_a_sku as bought_sku,
        candidates.product_b_sku as recommended_sku,
        candidates.recommended_product,
        candidates.reason as recommendation_reason
    from candidates
    inner join customers on customers.customer_id = candidates.customer_id
    where candidates.preference = 1
        and {{ not_suppressed(['suppress_open_ticket_promo_hold']) }}

)

select * from final
