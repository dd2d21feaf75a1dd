{#- Every record that stands for a person on some platform, with the identifiers
    it carries. `record_key` is '<platform>:<entity>:<id>' everywhere downstream. -#}
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
