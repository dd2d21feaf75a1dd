{#- Raw tables are append-only and connectors re-read a lookback window, so one
    version can land twice and every change lands as a new row: staging keeps the
    newest version per id and drops ids whose newest version is a deletion.

    In an incremental staging model (materialized='incremental', strategy
    delete+insert on the model's key, post_hook delete_deleted_versions()), only
    raw rows landed after the newest `_loaded_at` already staged are read; their
    newest version replaces the staged one, and a deletion is carried through as
    `_deleted` so the post-hook can remove the staged row. Engines without
    row deletes (Spark) rebuild staging whole instead (macros/incremental.sql). -#}
{% macro latest_versions(relation) -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by id
                order by updated_at desc nulls last, _loaded_at desc
            ) as version_rank
        from {{ relation }}
        {%- if reads_incrementally() %}
        where _loaded_at > (select coalesce(max(_loaded_at), cast('1970-01-01' as timestamp)) from {{ this }})
        {%- endif %}
    ) as versions
    where version_rank = 1
    {%- if not reads_incrementally() %}
        and not deleted
    {%- endif %}
{%- endmacro %}


{#- The post-hook of an incremental staging model: rows whose newest version is
    a deletion were replaced by that deletion; remove them. -#}
{% macro delete_deleted_versions() -%}
    {%- if reads_incrementally() -%}
        delete from {{ this }} where _deleted
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}


{#- The last filter of an incremental staging model: on a full build drop what
    is deleted; incrementally keep it, flagged, for the post-hook to remove the
    staged row it replaces. -#}
{% macro keep_current() -%}
    {%- if not reads_incrementally() -%}
        where not _deleted
    {%- endif -%}
{%- endmacro %}
