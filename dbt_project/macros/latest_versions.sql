{#- Raw tables are append-only and connectors re-read a lookback window, so one
    version can land twice and every change lands as a new row: staging keeps the
    newest version per id and drops ids whose newest version is a deletion. -#}
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
    ) as versions
    where version_rank = 1
        and not deleted
{%- endmacro %}
