{#- Customers who bought, online or in store, within var('recent_purchaser_days'):
    out of acquisition ads (they are customers already). Pushed to Meta as an
    exclusion audience for prospecting ad sets. One row per customer. -#}
with

customers as (

    select * from {{ ref('customers') }}

),

final as (

    select
        {{ audience_member_columns('customers') }},
        customers.last_purchase_at
    from customers
    where customers.last_purchase_at > {{ as_of_minus(var('recent_purchaser_days')) }}
        and customers.last_purchase_at <= {{ as_of() }}
        -- synced to Meta: never anyone erased
        and {{ not_suppressed() }}

)

select * from final
