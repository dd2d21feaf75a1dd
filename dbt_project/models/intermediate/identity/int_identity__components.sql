{#- Connected components of the record graph, by label propagation
    (macros/components.sql: one recursive CTE on DuckDB and PostgreSQL,
    unrolled rounds on Spark).

    Records are numbered; an identifier shared by several records links each of
    them to the lowest-numbered one (a star: k edges, not k^2). Every node then
    receives the labels of the nodes that reach it, but only labels lower than
    itself travel, so each record ends with its component's lowest number. -#}
with recursive

records as (

    select
        record_key,
        row_number() over (order by record_key) as node
    from {{ ref('int_identity__source_records') }}

),

memberships as (

    select records.node, identifiers.identifier_key
    from {{ ref('int_identity__identifiers') }} as identifiers
    inner join records on records.record_key = identifiers.record_key

),

hubs as (

    select identifier_key, min(node) as hub
    from memberships
    group by identifier_key
    having count(*) > 1

),

edges as (

    select distinct memberships.node as src, hubs.hub as dst
    from memberships
    inner join hubs on hubs.identifier_key = memberships.identifier_key
    where memberships.node <> hubs.hub

    union

    select distinct hubs.hub, memberships.node
    from memberships
    inner join hubs on hubs.identifier_key = memberships.identifier_key
    where memberships.node <> hubs.hub

),

{{ component_labels('records', 'edges') }}

select
    records.record_key,
    coalesce(labels.label, records.node) as component
from records
left join labels on labels.node = records.node
