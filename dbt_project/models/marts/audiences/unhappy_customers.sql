{#- Unhappy customers: the last satisfaction rating is one of
    var('unhappy_csat_scores'), or a ticket has been open longer than
    var('unhappy_ticket_open_days'). Tagged in Zendesk so agents handle them
    first. One row per customer. -#}
with

customers as (

    select * from {{ ref('customers') }}

),

assignments as (

    select record_key, customer_id
    from {{ ref('int_identity__assignments') }}
    where is_current

),

long_open as (

    select assignments.customer_id, min(tickets.created_at) as oldest_open_ticket_at
    from {{ ref('stg_zendesk__tickets') }} as tickets
    inner join assignments on assignments.record_key = 'zendesk:user:' || tickets.zendesk_user_id
    where tickets.is_open
        and tickets.created_at < {{ as_of_minus(var('unhappy_ticket_open_days')) }}
    group by assignments.customer_id

),

final as (

    select
        {{ audience_member_columns('customers') }},
        customers.last_csat_score,
        customers.last_csat_at,
        long_open.oldest_open_ticket_at,
        case
            when customers.last_csat_score in ({{ sql_list(var('unhappy_csat_scores')) }})
                then 'bad satisfaction rating'
            else 'ticket open too long'
        end as reason
    from customers
    left join long_open on long_open.customer_id = customers.customer_id
    where (
            customers.last_csat_score in ({{ sql_list(var('unhappy_csat_scores')) }})
            or long_open.customer_id is not null
        )
        and {{ not_suppressed() }}

)

select * from final
