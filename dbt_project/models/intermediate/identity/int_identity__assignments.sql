{{
    config(
        materialized='incremental',
        unique_key='record_key',
        incremental_strategy=upsert_strategy(),
        full_refresh=false,
        on_schema_change='fail',
        pre_hook="{{ snapshot_previous_state() }}"
    )
}}
{#- Which customer each source record belongs to, with ids that stay put.

    A component keeps the id its records already had. When a component holds
    records of several earlier customers (a merge), the customer that existed
    first survives; the others are retired (see customer_merges). When an earlier
    customer's records fall apart into several components (a split, e.g. after
    the record that bridged them was deleted), the component holding its oldest
    record keeps the id and the others get new ones. New components get an id
    derived from their oldest record. full_refresh is off: rebuilding from
    scratch would mint new ids for everyone. -#}
with

components as (

    select
        components.record_key,
        components.component,
        records.first_seen_at
    from {{ ref('int_identity__components') }} as components
    inner join {{ ref('int_identity__source_records') }} as records
        on records.record_key = components.record_key

),

{% if is_incremental() %}
previous as (

    select record_key, customer_id, customer_since
    from {{ previous_state() }}
    where is_current

),
{% else %}
previous as (

    select
        cast(null as {{ type_varchar() }}) as record_key,
        cast(null as {{ type_varchar() }}) as customer_id,
        cast(null as timestamp) as customer_since
    where false

),
{% endif %}

anchors as (

    -- each component's oldest record
    select component, record_key as anchor_key, first_seen_at as anchor_seen_at
    from (
        select
            component,
            record_key,
            first_seen_at,
            row_number() over (
                partition by component
                order by first_seen_at nulls last, record_key
            ) as position
        from components
    ) as ranked
    where position = 1

),

claims as (

    -- (component, earlier customer) pairs, with where that customer's oldest
    -- record now lives
    select
        components.component,
        previous.customer_id,
        min(previous.customer_since) as customer_since,
        min(coalesce(components.first_seen_at, cast('1970-01-01' as timestamp))) as oldest_record_seen_at,
        min(components.record_key) as oldest_record_key
    from components
    inner join previous on previous.record_key = components.record_key
    group by components.component, previous.customer_id

),

kept_claims as (

    -- on a split, one component keeps the id: the one with its oldest record
    select *
    from (
        select
            *,
            row_number() over (
                partition by customer_id
                order by oldest_record_seen_at, oldest_record_key
            ) as claim_rank
        from claims
    ) as ranked
    where claim_rank = 1

),

survivors as (

    -- on a merge, the customer that existed first survives
    select component, customer_id, customer_since
    from (
        select
            *,
            row_number() over (
                partition by component
                order by customer_since, customer_id
            ) as survivor_rank
        from kept_claims
    ) as ranked
    where survivor_rank = 1

),

prior_ids as (

    select distinct customer_id from previous

),

chosen as (

    select
        anchors.component,
        coalesce(
            survivors.customer_id,
            case
                -- an id minted from this anchor before is still someone else's
                when taken.customer_id is not null
                    then 'cus_' || substr(md5(anchors.anchor_key || ':split'), 1, 20)
                else 'cus_' || substr(md5(anchors.anchor_key), 1, 20)
            end
        ) as customer_id,
        coalesce(survivors.customer_since, {{ dbt.current_timestamp() }}) as customer_since
    from anchors
    left join survivors on survivors.component = anchors.component
    -- joins, not `in (subquery)`: PostgreSQL turns a large NOT IN into a
    -- nested loop, which never finishes at a million records
    left join prior_ids as taken
        on taken.customer_id = 'cus_' || substr(md5(anchors.anchor_key), 1, 20)

),

current_rows as (

    select
        components.record_key,
        chosen.customer_id,
        cast(chosen.customer_since as timestamp) as customer_since,
        previous.customer_id as previous_customer_id,
        true as is_current,
        cast({{ dbt.current_timestamp() }} as timestamp) as assigned_at
    from components
    inner join chosen on chosen.component = components.component
    left join previous on previous.record_key = components.record_key

),

gone_rows as (

    -- records deleted at the source: kept, no longer current
    select
        previous.record_key,
        previous.customer_id,
        cast(previous.customer_since as timestamp) as customer_since,
        previous.customer_id as previous_customer_id,
        false as is_current,
        cast({{ dbt.current_timestamp() }} as timestamp) as assigned_at
    from previous
    left join components on components.record_key = previous.record_key
    where components.record_key is null

)

select * from current_rows
union all
select * from gone_rows
