{#- Customers with a support ticket still open: no promotions until it is
    solved. Tagged in Zendesk so agents see the hold. One row per customer. -#}
with

assignments as (

    select record_key, customer_id
    from {{ ref('int_identity__assignments') }}
    where is_current

),

open_tickets as (

    select
        assignments.customer_id,
        count(*) as open_tickets,
        min(tickets.created_at) as oldest_open_ticket_at
    from {{ ref('stg_zendesk__tickets') }} as tickets
    inner join assignments on assignments.record_key = 'zendesk:user:' || tickets.zendesk_user_id
    where tickets.is_open
    group by assignments.customer_id

),

customers as (

    select * from {{ ref('customers') }}

),

final as (

    select
        {{ audience_member_columns('customers') }},
        open_tickets.open_tickets,
        open_tickets.oldest_open_ticket_at
    from customers
    inner join open_tickets on open_tickets.customer_id = customers.customer_id
    -- synced to Zendesk: never anyone erased
    where {{ not_suppressed() }}

)

select * from final
