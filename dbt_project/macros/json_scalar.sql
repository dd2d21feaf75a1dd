{#- The text of a JSON scalar (an element unnested from an array of strings,
    such as a Zendesk ticket's tags): DuckDB reads the root path, PostgreSQL's
    jsonb the empty path. -#}
{% macro json_scalar_text(expression) -%}
    {{ return(adapter.dispatch('json_scalar_text', 'omnihub')(expression)) }}
{%- endmacro %}

{% macro default__json_scalar_text(expression) -%}
    ({{ expression }} ->> '$')
{%- endmacro %}

{#- Spark: unnest_json_array already yields a string element as its text. -#}
{% macro spark__json_scalar_text(expression) -%}
    {{ expression }}
{%- endmacro %}

{% macro postgres__json_scalar_text(expression) -%}
    ({{ expression }} #>> '{}')
{%- endmacro %}
