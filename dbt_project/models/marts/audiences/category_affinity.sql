{#- Category affinity: the category each person bought and browsed most
    (int_customers__category_affinity's score), written to their Klaviyo
    profile so the next email leads with it. One row per customer with any
    purchase or product view in a known category. -#}
with

affinity as (

    select *
    from (
        select
            *,
            row_number() over (
                partition by customer_id
                order by affinity_score desc, revenue desc, product_category
            ) as affinity_rank
        from {{ ref('int_customers__category_affinity') }}
    ) as ranked
    where affinity_rank = 1

),

customers as (

    select * from {{ ref('customers') }}

),

final as (

    select
        {{ audience_member_columns('customers') }},
        affinity.product_category as affinity_category,
        affinity.affinity_score,
        affinity.units as units_bought,
        affinity.views as products_viewed
    from affinity
    inner join customers on customers.customer_id = affinity.customer_id
    where {{ not_suppressed() }}

)

select * from final
