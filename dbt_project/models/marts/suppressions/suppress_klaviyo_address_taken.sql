{#- People Klaviyo cannot address without landing on someone else. Klaviyo keeps
    one profile per email (and per phone), and profile-import finds a profile by
    them: a person with no Klaviyo profile of their own whose email (or, without
    one, phone) the identity graph refused to link on — shared by several
    people, or blocklisted — would be written onto whichever profile holds that
    address, and two such people would overwrite each other on every run. They
    are held back from Klaviyo (the gate adds this list to every Klaviyo sync)
    until they have a profile of their own; every other destination still
    reaches them. -#}
with

customers as (

    select
        customer_id,
        {{ normalize_email('email') }} as email_normalized,
        phone_e164
    from {{ ref('customers') }}
    where klaviyo_profile_id is null

),

excluded as (

    select distinct identifier_type, identifier_value, reason
    from {{ ref('int_identity__excluded_identifiers') }}

),

taken as (

    select customers.customer_id, 'email ' || excluded.reason as reason
    from customers
    inner join excluded
        on excluded.identifier_type = 'email'
        and excluded.identifier_value = customers.email_normalized

    union all

    select customers.customer_id, 'phone ' || excluded.reason
    from customers
    inner join excluded
        on excluded.identifier_type = 'phone'
        and excluded.identifier_value = customers.phone_e164
    where customers.email_normalized is null

),

final as (

    select customer_id, min(reason) as reason
    from taken
    group by customer_id

)

select * from final
