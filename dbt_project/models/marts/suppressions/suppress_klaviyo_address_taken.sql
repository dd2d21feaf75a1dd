{#- People Klaviyo cannot address without landing on someone else. Klaviyo keeps
    one profile per email and profile-import finds a profile by it, so when two
    customers the identity graph keeps apart share an address (a family inbox:
    different first names, or an identifier shared too widely to link on), a
    sync would write one person onto the other's profile, and the two would
    overwrite each other on every run. The address belongs to the customer whose
    Klaviyo profile holds it; failing that, to the first customer by id (whose
    import creates the profile, which the next ingest links back to them).
    Everyone else with that address is held back from Klaviyo (the gate adds
    this list to every Klaviyo sync but the suppression list); every other
    destination still reaches them. -#}
with

customers as (

    select
        customer_id,
        klaviyo_profile_id,
        -- as Klaviyo matches addresses: case-insensitive, trimmed
        lower(trim(email)) as address
    from {{ ref('customers') }}
    where email is not null and trim(email) <> ''

),

shared as (

    select
        address,
        min(case when klaviyo_profile_id is not null then customer_id end) as profile_holder,
        min(customer_id) as first_customer
    from customers
    group by address
    having count(distinct customer_id) > 1

),

final as (

    select
        customers.customer_id,
        'shares the email address with ' || coalesce(shared.profile_holder, shared.first_customer)
            || ', whose Klaviyo profile it is' as reason
    from customers
    inner join shared on shared.address = customers.address
    where
        customers.klaviyo_profile_id is null
        and customers.customer_id <> coalesce(shared.profile_holder, shared.first_customer)

)

select * from final
