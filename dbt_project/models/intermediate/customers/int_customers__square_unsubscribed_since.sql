{#- When each Square customer who is unsubscribed now became so. Square keeps
    one flag, preferences.email_unsubscribed, with no time of its own, and a
    customer's updated_at moves with any change (a group added, a note, an
    omnihub sync): dated by updated_at, a years-old unsubscribe would read as
    said today and outvote a newer subscription elsewhere. The flag's time is
    the first landed version of its current run of "true" versions in raw
    (every version is kept there), so only a change of the flag itself dates it. -#}
with

versions as (

    select
        cast(id as {{ type_varchar() }}) as square_customer_id,
        updated_at,
        coalesce(
            cast({{ json_text('payload', ['preferences', 'email_unsubscribed']) }} as boolean),
            false
        ) as email_unsubscribed
    from {{ source('square', 'customers') }}
    where not deleted

),

unsubscribed_now as (

    select square_customer_id
    from {{ ref('stg_square__customers') }}
    where email_unsubscribed

),

last_subscribed as (

    select square_customer_id, max(updated_at) as until_at
    from versions
    where not email_unsubscribed
    group by square_customer_id

),

final as (

    select
        unsubscribed_now.square_customer_id,
        min(versions.updated_at) as unsubscribed_since
    from unsubscribed_now
    inner join versions
        on versions.square_customer_id = unsubscribed_now.square_customer_id
        and versions.email_unsubscribed
    left join last_subscribed
        on last_subscribed.square_customer_id = unsubscribed_now.square_customer_id
    where last_subscribed.until_at is null or versions.updated_at > last_subscribed.until_at
    group by unsubscribed_now.square_customer_id

)

select * from final
