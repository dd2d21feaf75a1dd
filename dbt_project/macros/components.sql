{#- Connected components: the CTEs after `nodes` (node) and `edges` (src, dst,
    both directions) ending in `labels` (node, label: the lowest node of its
    component). -#}
{% macro component_labels(nodes, edges) -%}
    {{ return(adapter.dispatch('component_labels', 'omnihub')(nodes, edges)) }}
{%- endmacro %}

{#- Label propagation in one recursive CTE: every node receives the labels of
    the nodes that reach it, but only labels lower than itself travel. The
    component's minimum is lower than every other member, so it reaches all of
    them, and since UNION discards rows already seen the recursion stops
    exactly when nothing new arrives: it converges on any graph, chains
    included, with no fixed number of passes. -#}
{% macro default__component_labels(nodes, edges) -%}
walk (node, label) as (

    select src as node, src as label from {{ edges }}

    union

    select {{ edges }}.dst, walk.label
    from walk
    inner join {{ edges }} on {{ edges }}.src = walk.node
    where walk.label < {{ edges }}.dst

),

labels as (

    select node, min(label) as label
    from walk
    group by node

)
{%- endmacro %}

{#- Spark's recursive CTEs allow only UNION ALL (rows already seen are not
    discarded), so the walk above would go round every cycle forever there.
    Each walk carries the nodes it visited instead and never enters one twice:
    a label still reaches exactly the nodes the walk above reaches (any walk
    whose every step goes to a node above its label contains such a simple
    path), and the recursion ends when no simple path goes further. The price
    is one row per such path rather than per (node, label): cheap on identity
    graphs, whose identifiers link records in stars around their lowest
    record, but it grows fast in densely cross-linked components. The
    recursion depth and row limits are lifted in profiles.yml. -#}
{% macro spark__component_labels(nodes, edges) -%}
walk (node, label, visited) as (

    select distinct src as node, src as label, array(src) as visited from {{ edges }}

    union all

    select {{ edges }}.dst, walk.label, array_append(walk.visited, {{ edges }}.dst)
    from walk
    inner join {{ edges }} on {{ edges }}.src = walk.node
    where walk.label < {{ edges }}.dst
        and not array_contains(walk.visited, {{ edges }}.dst)

),

labels as (

    select node, min(label) as label
    from walk
    group by node

)
{%- endmacro %}
