{#- Shopify's GDPR `customers/redact` requests (delivered as webhooks, landed as
    deletion markers of the customer): one row per redacted customer, with the
    SHA-256 of the email the request names, so the person stays suppressed
    everywhere even where another platform still knows them. -#}
with

source as (

    select * from {{ source('shopify', 'customers') }}
    where deleted

),

redactions as (

    select
        cast(id as {{ type_varchar() }}) as shopify_customer_id,
        nullif(lower(trim({{ json_text('payload', ['webhook', 'customer', 'email']) }})), '') as email,
        updated_at as requested_at,
        row_number() over (partition by id order by updated_at desc, _loaded_at desc) as version_rank
    from source
    where {{ json_text('payload', 'deleted_via') }} = 'customers/redact'

),

final as (

    select
        shopify_customer_id,
        case when email is not null then {{ sha256_hex('email') }} end as email_sha256,
        requested_at
    from redactions
    where version_rank = 1

)

select * from final
