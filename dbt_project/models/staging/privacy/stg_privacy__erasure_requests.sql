{#- Erasure requests recorded by an operator: one row per request. -#}
with

source as (

    select * from {{ source('privacy', 'erasure_requests') }}

),

final as (

    select
        request_id,
        identifier_type,
        identifier_sha256,
        source as request_source,
        requested_at
    from source

)

select * from final
