{#- Portable JSON access. DuckDB's JSON and PostgreSQL's JSONB share the -> / ->>
    operators; engines that do not (Spark: get_json_object) get their own
    dispatched implementation: payloads are JSON text there, read by path. -#}

{% macro json_text(column, keys) -%}
    {{ return(adapter.dispatch('json_text', 'omnihub')(column, keys)) }}
{%- endmacro %}

{#- Integer keys index arrays (payload -> 'items' ->> 0). -#}
{% macro default__json_text(column, keys) -%}
    {%- set keys = [keys] if keys is string else keys -%}
    ({{ column }}{% for key in keys %}{{ ' ->> ' if loop.last else ' -> ' }}{{ key if key is number else "'" ~ key ~ "'" }}{% endfor %})
{%- endmacro %}


{#- One row per element of a JSON array, as a lateral join: `{{ alias }}.value`
    is the element (JSON). Arrays of line items, refunds and lead-form fields. -#}
{% macro unnest_json_array(json_expression, alias) -%}
    {{ return(adapter.dispatch('unnest_json_array', 'omnihub')(json_expression, alias)) }}
{%- endmacro %}

{#- Spark: text JSON read with get_json_object; an array parsed as
    array<string> keeps each object element as its JSON text (and a string
    element as the string), exploded by a lateral generator. -#}
{% macro spark__json_text(column, keys) -%}
    {%- set keys = [keys] if keys is string else keys -%}
    get_json_object({{ column }}, '{{ spark_json_path(keys) }}')
{%- endmacro %}

{% macro spark_json_path(keys) -%}
    ${% for key in keys %}{{ '[' ~ key ~ ']' if key is number else '.' ~ key }}{% endfor %}
{%- endmacro %}

{% macro default__unnest_json_array(json_expression, alias) -%}
    cross join lateral (
        select unnest(cast(coalesce({{ json_expression }}, '[]') as json[])) as value
    ) as {{ alias }}
{%- endmacro %}

{% macro postgres__unnest_json_array(json_expression, alias) -%}
    cross join lateral jsonb_array_elements(coalesce({{ json_expression }}, '[]'::jsonb)) as {{ alias }}(value)
{%- endmacro %}

{% macro spark__unnest_json_array(json_expression, alias) -%}
    cross join lateral explode(coalesce(from_json({{ json_expression }}, 'array<string>'), array())) as {{ alias }}(value)
{%- endmacro %}


{#- A JSON sub-document (not text): for passing to unnest_json_array. -#}
{% macro json_get(column, keys) -%}
    {{ return(adapter.dispatch('json_get', 'omnihub')(column, keys)) }}
{%- endmacro %}

{% macro spark__json_get(column, keys) -%}
    {{ spark__json_text(column, keys) }}
{%- endmacro %}

{% macro default__json_get(column, keys) -%}
    {%- set keys = [keys] if keys is string else keys -%}
    ({{ column }}{% for key in keys %} -> {{ key if key is number else "'" ~ key ~ "'" }}{% endfor %})
{%- endmacro %}
