{#- The identifiers each record carries in its own fields, one row per (record,
    identifier), before any exclusion: what int_identity__excluded_identifiers
    counts and int_identity__identifiers links.

    - email and phone as normalized in staging;
    - a platform's own links: a Square loyalty account ties its phone to its
      customer record, a Shopify default address holds the phone the checkout
      took (often the only phone a web customer gives);
    - address_name: the record's normalized street line and postal code with its
      first and last name. Never an address alone: a household shares a home, a
      building a street line; a home *and* a full name is one person. -#}
with

records as (

    select * from {{ ref('int_identity__source_records') }}

),

identifiers as (

    select record_key, platform, 'email' as identifier_type, email_normalized as identifier_value
    from records
    where email_normalized is not null

    union all

    select record_key, platform, 'phone', phone_e164
    from records
    where phone_e164 is not null

    union all

    select 'square:customer:' || square_customer_id, 'square', 'phone', phone_e164
    from {{ ref('stg_square__loyalty_accounts') }}
    where phone_e164 is not null
        and square_customer_id is not null

    union all

    select 'shopify:customer:' || shopify_customer_id, 'shopify', 'phone', address_phone_e164
    from {{ ref('stg_shopify__customers') }}
    where address_phone_e164 is not null

    union all

    select
        record_key,
        platform,
        'address_name',
        address_key || ' / ' || lower(trim(first_name)) || ' ' || lower(trim(last_name))
    from records
    where address_key is not null
        and nullif(trim(first_name), '') is not null
        and nullif(trim(last_name), '') is not null

)

select distinct
    identifiers.record_key,
    identifiers.platform,
    identifiers.identifier_type,
    identifiers.identifier_value
from identifiers
-- a loyalty phone may name a customer record that no longer exists
inner join records on records.record_key = identifiers.record_key
