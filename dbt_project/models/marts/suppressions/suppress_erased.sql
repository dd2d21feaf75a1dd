{#- People who asked to be forgotten: out of everything, everywhere. One row
    per customer an erasure request names — an operator's request
    (privacy.erasure_requests: hashed email, phone or customer id) or Shopify's
    GDPR customers/redact — matched against every identifier any of their
    records carries, so the person is found wherever else they are known. -#}
with

requests as (

    select identifier_type, identifier_sha256, requested_at, request_source
    from {{ ref('stg_privacy__erasure_requests') }}

    union all

    select 'email', email_sha256, requested_at, 'shopify customers/redact'
    from {{ ref('stg_shopify__customer_redactions') }}
    where email_sha256 is not null

),

assignments as (

    -- records deleted at the source still say whose they were
    select record_key, customer_id, is_current
    from {{ ref('int_identity__assignments') }}

),

current_customers as (

    select distinct customer_id from assignments where is_current

),

record_hashes as (

    select
        assignments.customer_id,
        'email' as identifier_type,
        {{ sha256_hex('records.email') }} as identifier_sha256
    from {{ ref('int_identity__source_records') }} as records
    inner join assignments on assignments.record_key = records.record_key and assignments.is_current
    where records.email is not null

    union all

    select assignments.customer_id, 'email', {{ sha256_hex('records.email_normalized') }}
    from {{ ref('int_identity__source_records') }} as records
    inner join assignments on assignments.record_key = records.record_key and assignments.is_current
    where records.email_normalized is not null

    union all

    select assignments.customer_id, 'phone', {{ sha256_hex('records.phone_e164') }}
    from {{ ref('int_identity__source_records') }} as records
    inner join assignments on assignments.record_key = records.record_key and assignments.is_current
    where records.phone_e164 is not null

    union all

    select customer_id, 'customer_id', {{ sha256_hex('customer_id') }}
    from current_customers

),

matched as (

    select record_hashes.customer_id, requests.requested_at, requests.request_source
    from requests
    inner join record_hashes
        on record_hashes.identifier_type = requests.identifier_type
        and record_hashes.identifier_sha256 = requests.identifier_sha256

    union all

    -- the redacted Shopify record itself: whose it was, even if nothing else is left
    select assignments.customer_id, redactions.requested_at, 'shopify customers/redact'
    from {{ ref('stg_shopify__customer_redactions') }} as redactions
    inner join assignments
        on assignments.record_key = 'shopify:customer:' || redactions.shopify_customer_id

),

final as (

    select
        customer_id,
        min(requested_at) as requested_at,
        min(request_source) as request_source
    from matched
    group by customer_id

)

select * from final
