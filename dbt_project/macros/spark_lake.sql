{#- Spark reads the raw sources from the Parquet lake the loader writes
    (warehouse/spark_lake.py): one external table per source over its folder,
    registered before anything runs. A new batch is a new file in the folder,
    so no DDL is needed as data arrives; the table is refreshed so Spark lists
    the folder anew. Other engines read the landing tables themselves. -#}
{% macro register_lake_sources() -%}
    {{ return(adapter.dispatch('register_lake_sources', 'omnihub')()) }}
{%- endmacro %}

{% macro default__register_lake_sources() -%}
    select 1
{%- endmacro %}

{% macro spark__register_lake_sources() -%}
    {%- if execute -%}
        {%- set lake = env_var('OMNIHUB_SPARK_LAKE_DIR', env_var('OMNIHUB_SPARK_DIR', '../data/spark') ~ '/lake') -%}
        {%- set schemas = [] -%}
        {%- for source in graph.sources.values() -%}
            {%- if source.schema not in schemas -%}
                {%- do schemas.append(source.schema) -%}
                {%- do run_query('create schema if not exists ' ~ source.schema) -%}
            {%- endif -%}
            {%- set relation = source.schema ~ '.' ~ source.identifier -%}
            {%- set location = lake ~ '/' ~ source.schema ~ '/' ~ source.identifier -%}
            {%- if source.schema == 'raw' -%}
                {#- Raw tables have one shape (warehouse/landing.py), given here so
                    an empty folder is still a table. -#}
                {%- do run_query(
                    'create table if not exists ' ~ relation
                    ~ ' (id string, updated_at timestamp, deleted boolean, payload string,'
                    ~ ' _loaded_at timestamp, _batch_id string)'
                    ~ " using parquet location '" ~ location ~ "'") -%}
            {%- else -%}
                {%- do run_query(
                    'create table if not exists ' ~ relation
                    ~ " using parquet location '" ~ location ~ "'") -%}
            {%- endif -%}
            {%- do run_query('refresh table ' ~ relation) -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}
