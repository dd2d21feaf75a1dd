{#- Portable JSON access. DuckDB's JSON and PostgreSQL's JSONB share the -> / ->>
    operators; engines that do not (Spark: get_json_object) get their own
    dispatched implementation. -#}

{% macro json_text(column, keys) -%}
    {{ return(adapter.dispatch('json_text', 'omnihub')(column, keys)) }}
{%- endmacro %}

{% macro default__json_text(column, keys) -%}
    {%- set keys = [keys] if keys is string else keys -%}
    ({{ column }}{% for key in keys %}{{ ' ->> ' if loop.last else ' -> ' }}'{{ key }}'{% endfor %})
{%- endmacro %}
