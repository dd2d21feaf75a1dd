{#- Lookalike seed: the most valuable customers, by lifetime value online and
    in store, uploaded to Meta as a value-based custom audience (each member
    carries their value as LOOKALIKE_VALUE) so a value-based lookalike finds
    people like the best customers, weighted by how good they are. The top
    var('lookalike_seed_top_share') of buyers (ties broken by customer_id, so
    the seed is stable), and never anyone worth less than
    var('lookalike_seed_min_value'). One row per customer. -#}
with

customers as (

    select * from {{ ref('customers') }}

),

ranked as (

    select
        customers.*,
        row_number() over (order by customers.lifetime_value desc, customers.customer_id)
            as value_rank,
        count(*) over () as buyers
    from customers
    where customers.lifetime_value > 0
        and {{ not_suppressed() }}

),

final as (

    select
        {{ audience_member_columns('ranked') }},
        ranked.lifetime_value,
        ranked.revenue_online,
        ranked.revenue_in_store,
        cast(ranked.lifetime_value as decimal(18, 2)) as lookalike_value,
        cast(ranked.value_rank as bigint) as value_rank
    from ranked
    where ranked.value_rank <= ceil(ranked.buyers * {{ var('lookalike_seed_top_share') }})
        and ranked.lifetime_value >= {{ var('lookalike_seed_min_value') }}

)

select * from final
