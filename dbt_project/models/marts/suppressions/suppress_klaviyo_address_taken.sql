{#- People Klaviyo cannot address without landing on someone else. Klaviyo keeps
    one profile per email and profile-import finds a profile by it, so when two
    customers the identity graph keeps apart share an address (a family inbox:
    different first names, or an identifier shared too widely to link on), a
    sync would write one person onto the other's profile, and the two would
    overwrite each other on every run (or subscribe an inbox its owner
    unsubscribed). The address belongs to the customer one of whose Klaviyo
    profiles holds it (whatever their best address elsewhere); failing that, to
    the first customer by id (whose import creates the profile, which the next
    ingest links back to them).
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

profile_addresses as (

    -- every address a Klaviyo profile holds, and whose profile it is
    select
        lower(trim(profiles.email)) as address,
        min(assignments.customer_id) as profile_holder
    from {{ ref('stg_klaviyo__profiles') }} as profiles
    inner join {{ ref('int_identity__assignments') }} as assignments
        on assignments.record_key = 'klaviyo:profile:' || profiles.klaviyo_profile_id
        and assignments.is_current
    where profiles.email is not null and trim(profiles.email) <> ''
    group by lower(trim(profiles.email))

),

unprofiled as (

    -- who a sync would import by address: customers Klaviyo does not know
    select customer_id, address
    from customers
    where klaviyo_profile_id is null

),

owners as (

    select
        unprofiled.address,
        coalesce(min(profile_addresses.profile_holder), min(unprofiled.customer_id)) as owner,
        min(profile_addresses.profile_holder) is not null as held_by_a_profile
    from unprofiled
    left join profile_addresses on profile_addresses.address = unprofiled.address
    group by unprofiled.address

),

final as (

    select
        unprofiled.customer_id,
        'shares the email address with ' || owners.owner
            || case
                when owners.held_by_a_profile then ', whose Klaviyo profile holds it'
                else ', whose import makes its Klaviyo profile'
            end as reason
    from unprofiled
    inner join owners on owners.address = unprofiled.address
    where unprofiled.customer_id <> owners.owner

)

select * from final
