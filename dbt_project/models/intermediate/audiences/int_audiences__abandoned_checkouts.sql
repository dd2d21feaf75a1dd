{#- Every abandoned checkout of a known customer: one row per checkout, with
    what was in it that can still be bought, and what the customer did since.

    A checkout is abandoned when it never completed; it was abandoned at its last
    activity (updated_at). `purchased_since` is any purchase by the same person,
    online or in store, after that moment; `engaged_since` any engagement event
    after it. Unavailable SKUs (int_products__catalog) are left out of the
    products carried, so nobody is retargeted with what cannot be bought. -#}
with

assignments as (

    select record_key, customer_id
    from {{ ref('int_identity__assignments') }}
    where is_current

),

checkouts as (

    select
        assignments.customer_id,
        checkouts.shopify_checkout_id,
        checkouts.recovery_url,
        checkouts.total_price,
        checkouts.currency,
        coalesce(checkouts.updated_at, checkouts.created_at) as abandoned_at
    from {{ ref('stg_shopify__checkouts') }} as checkouts
    inner join assignments on assignments.record_key = 'shopify:customer:' || checkouts.shopify_customer_id
    where not checkouts.is_completed
        and coalesce(checkouts.updated_at, checkouts.created_at) <= {{ as_of() }}

),

lines as (

    select
        lines.shopify_checkout_id,
        lines.sku,
        lines.quantity,
        coalesce(catalog.product_title, lines.title) as product_title,
        coalesce(catalog.is_available, false) as is_available
    from {{ ref('stg_shopify__checkout_lines') }} as lines
    left join {{ ref('int_products__catalog') }} as catalog on catalog.sku = lines.sku

),

contents as (

    select
        shopify_checkout_id,
        count(*) as line_count,
        sum(case when is_available then 1 else 0 end) as available_line_count,
        {{ dbt.listagg("case when is_available then sku end", "','", "order by sku") }} as available_skus,
        {{ dbt.listagg("case when is_available then product_title end", "', '", "order by sku") }} as available_products
    from lines
    group by shopify_checkout_id

),

purchases as (

    select customer_id, ordered_at
    from {{ ref('int_customers__orders') }}
    where is_purchase

),

engagement as (

    select customer_id, occurred_at
    from {{ ref('customer_events') }}
    where event_type in ({{ sql_list(var('engagement_event_types')) }})

),

final as (

    select
        checkouts.customer_id,
        checkouts.shopify_checkout_id,
        checkouts.abandoned_at,
        checkouts.recovery_url,
        cast(checkouts.total_price as decimal(18, 2)) as cart_value,
        checkouts.currency,
        coalesce(contents.line_count, 0) as line_count,
        coalesce(contents.available_line_count, 0) as available_line_count,
        contents.available_skus,
        contents.available_products,
        exists (
            select 1 from purchases
            where purchases.customer_id = checkouts.customer_id
                and purchases.ordered_at > checkouts.abandoned_at
                and purchases.ordered_at <= {{ as_of() }}
        ) as purchased_since,
        exists (
            select 1 from engagement
            where engagement.customer_id = checkouts.customer_id
                and engagement.occurred_at > checkouts.abandoned_at
                and engagement.occurred_at <= {{ as_of() }}
        ) as engaged_since
    from checkouts
    left join contents on contents.shopify_checkout_id = checkouts.shopify_checkout_id

)

select * from final
