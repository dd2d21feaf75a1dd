{#- Recent buyers: bought within var('recent_buyer_days'), online or in store,
    with what they bought, for post-purchase help (how to use and care for it)
    instead of ads pushing the same purchase again. Service, not promotion: the
    open-ticket hold does not apply. One row per customer. -#}
with

purchases as (

    select * from {{ ref('int_audiences__product_purchases') }}
    where last_bought_at > {{ as_of_minus(var('recent_buyer_days')) }}

),

bought as (

    select
        customer_id,
        max(last_bought_at) as last_bought_at,
        {{ dbt.listagg('sku', "','", 'order by sku') }} as recent_skus,
        {{ dbt.listagg('product_title', "', '", 'order by sku') }} as recent_products,
        max(case when bought_in_store then 1 else 0 end) = 1 as bought_in_store
    from purchases
    group by customer_id

),

customers as (

    select * from {{ ref('customers') }}

),

final as (

    select
        {{ audience_member_columns('customers') }},
        bought.last_bought_at,
        bought.recent_skus,
        bought.recent_products,
        bought.bought_in_store
    from bought
    inner join customers on customers.customer_id = bought.customer_id
    where {{ not_suppressed() }}

)

select * from final
