{#- Fresh planner statistics for the table just built. PostgreSQL plans the next
    model's joins from them, and a table dbt just created has none until
    autovacuum gets to it: without this, a join over a million identity rows is
    planned as if the tables were empty. Other engines gather their own. -#}
{% macro analyze_relation() -%}
    {{ return(adapter.dispatch('analyze_relation', 'omnihub')()) }}
{%- endmacro %}

{% macro default__analyze_relation() -%}
    select 1
{%- endmacro %}

{% macro postgres__analyze_relation() -%}
    {%- if model.config.materialized in ('table', 'incremental') -%}
        analyze {{ this }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
