{#- Connected components of the record graph, by label propagation in one
    recursive CTE (standard SQL: the same text runs on DuckDB and PostgreSQL).

    Records are numbered; an identifier shared by several records links each of
    them to the lowest-numbered one (a star: k edges, not k^2). Every node then
    receives the labels of the nodes that reach it, but only labels lower than
    itself travel. The component's minimum is lower than every other member, so
    it reaches all of them, and since UNION discards rows already seen the
    recursion stops exactly when nothing new arrives: it converges on any graph,
    chains included, with no fixed number of passes. -#}
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

walk (node, label) as (

    select src as node, src as label from edges

    union

    select edges.dst, walk.label
    from walk
    inner join edges on edges.src = walk.node
    where walk.label < edges.dst

),

labels as (

    select node, min(label) as label
    from walk
    group by node

)

select
    records.record_key,
    coalesce(labels.label, records.node) as component
from records
left join labels on labels.node = records.node
