{#- Every record that stands for a person on some platform, with the identifiers
    it carries. `record_key` is '<platform>:<entity>:<id>' everywhere downstream.
    `address_key`: the normalized street line and postal code of the record's
    address (Shopify's default address, Square's customer address), when it has
    both. -#}
with

shopify_customers as (

    select
        'shopify:customer:' || shopify_customer_id as record_key,
        'shopify' as platform,
        'customer' as entity,
        shopify_customer_id as source_id,
        email,
        email_normalized,
        phone,
        phone_e164,
        first_name,
        last_name,
        address_street_normalized || ' ' || address_postal_code_normalized as address_key,
        created_at as first_seen_at
    from {{ ref('stg_shopify__customers') }}

),

klaviyo_profiles as (

    select
        'klaviyo:profile:' || klaviyo_profile_id,
        'klaviyo',
        'profile',
        klaviyo_profile_id,
        email,
        email_normalized,
        phone,
        phone_e164,
        first_name,
        last_name,
        cast(null as {{ type_varchar() }}),
        created_at
    from {{ ref('stg_klaviyo__profiles') }}

),

square_customers as (

    select
        'square:customer:' || square_customer_id,
        'square',
        'customer',
        square_customer_id,
        email,
        email_normalized,
        phone,
        phone_e164,
        first_name,
        last_name,
        address_street_normalized || ' ' || address_postal_code_normalized,
        created_at
    from {{ ref('stg_square__customers') }}

),

zendesk_users as (

    select
        'zendesk:user:' || zendesk_user_id,
        'zendesk',
        'user',
        zendesk_user_id,
        email,
        email_normalized,
        phone,
        phone_e164,
        split_part(full_name, ' ', 1),
        nullif(substr(full_name, length(split_part(full_name, ' ', 1)) + 2), ''),
        cast(null as {{ type_varchar() }}),
        created_at
    from {{ ref('stg_zendesk__users') }}

),

meta_leads as (

    select
        'meta_ads:lead:' || meta_lead_id,
        'meta_ads',
        'lead',
        meta_lead_id,
        email,
        email_normalized,
        phone,
        phone_e164,
        split_part(full_name, ' ', 1),
        nullif(substr(full_name, length(split_part(full_name, ' ', 1)) + 2), ''),
        cast(null as {{ type_varchar() }}),
        created_at
    from {{ ref('stg_meta_ads__leads') }}

)

select * from shopify_customers
union all
select * from klaviyo_profiles
union all
select * from square_customers
union all
select * from zendesk_users
union all
select * from meta_leads
