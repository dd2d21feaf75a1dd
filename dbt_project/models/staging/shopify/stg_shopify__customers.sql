with

source as (

    select * from {{ source('shopify', 'customers') }}

),

latest as (

    -- The raw table is append-only and the connector re-reads a lookback window,
    -- so the same version can land more than once: keep the newest per id.
    select
        *,
        row_number() over (
            partition by id
            order by updated_at desc, _loaded_at desc
        ) as version_rank
    from source

),

renamed as (

    select
        -- ids
        cast(id as varchar) as shopify_customer_id,

        -- strings
        nullif(lower(trim({{ json_text('payload', 'email') }})), '') as email,
        nullif(trim({{ json_text('payload', 'phone') }}), '') as phone,
        nullif(trim({{ json_text('payload', 'first_name') }}), '') as first_name,
        nullif(trim({{ json_text('payload', 'last_name') }}), '') as last_name,
        coalesce({{ json_text('payload', 'tags') }}, '') as tags,
        {{ json_text('payload', ['email_marketing_consent', 'state']) }} as email_marketing_state,

        -- numerics
        cast({{ json_text('payload', 'orders_count') }} as integer) as orders_count,
        cast({{ json_text('payload', 'total_spent') }} as decimal(18, 2)) as total_spent,

        -- booleans
        coalesce(
            {{ json_text('payload', ['email_marketing_consent', 'state']) }} = 'subscribed',
            false
        ) as accepts_email_marketing,

        -- timestamps
        {{ to_utc(json_text('payload', 'created_at')) }} as created_at,
        updated_at,
        _loaded_at

    from latest
    where version_rank = 1
        and not deleted

)

select * from renamed
