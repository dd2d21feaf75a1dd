{#- Spark reads the raw sources from the Parquet lake the loader writes
    (warehouse/spark_lake.py): one external table per source over its folder,
    registered before anything runs. A new batch is a new file in the folder,
    so no DDL is needed as data arrives. The tables are declared anew each run
    (dropping an external table leaves its files), so a moved lake or a
    changed shape is picked up and the folder is listed afresh. Other engines
    read the landing tables themselves. -#}
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
            {%- do run_query('drop table if exists ' ~ relation) -%}
            {%- if source.schema == 'raw' -%}
                {#- Raw tables have one shape (warehouse/landing.py), given here so
                    an empty folder is still a table. -#}
                {%- do run_query(
                    'create table ' ~ relation
                    ~ ' (id string, updated_at timestamp, deleted boolean, payload string,'
                    ~ ' _loaded_at timestamp, _batch_id string)'
                    ~ " using parquet location '" ~ location ~ "'") -%}
            {%- else -%}
                {%- do run_query(
                    'create table ' ~ relation
                    ~ " using parquet location '" ~ location ~ "'") -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}
