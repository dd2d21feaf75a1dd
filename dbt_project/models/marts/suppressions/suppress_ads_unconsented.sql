{#- Everyone who may not be sent to an ad platform: no marketing consent on any
    channel. Not synced anywhere (sending them to Meta, even to exclude them,
    would share their data); the sync engine keeps them out of every ads
    destination. One row per customer. -#}
with

customers as (

    select * from {{ ref('customers') }}

),

final as (

    select
        {{ audience_member_columns('customers') }},
        'no marketing consent on any channel' as reason
    from customers
    where not customers.ads_consent

)

select * from final
