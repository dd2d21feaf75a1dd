{#- The cart follow-up: abandoned between var('cart_followup_after_days') and
    var('cart_followup_after_days') + var('cart_followup_window_days') days ago,
    and since then neither a purchase nor any engagement on any channel (the
    first reminder did not work). Same product rule as cart_abandoners. One row
    per customer: their latest such cart. -#}
with

checkouts as (

    select * from {{ ref('int_audiences__abandoned_checkouts') }}
    where abandoned_at <= {{ as_of_minus(var('cart_followup_after_days')) }}
        and abandoned_at > {{ as_of_minus(var('cart_followup_after_days') + var('cart_followup_window_days')) }}
        and not purchased_since
        and not engaged_since
        and available_line_count > 0

),

latest as (

    select *
    from (
        select
            *,
            row_number() over (
                partition by customer_id order by abandoned_at desc, shopify_checkout_id desc
            ) as recency
        from checkouts
    ) as ranked
    where recency = 1

),

customers as (

    select * from {{ ref('customers') }}

),

final as (

    select
        {{ audience_member_columns('customers') }},
        latest.shopify_checkout_id,
        latest.abandoned_at,
        latest.available_skus as abandoned_skus,
        latest.available_products as abandoned_products,
        latest.cart_value,
        latest.recovery_url
    from latest
    inner join customers on customers.customer_id = latest.customer_id
    where {{ not_suppressed(['suppress_open_ticket_promo_hold']) }}

)

select * from final
