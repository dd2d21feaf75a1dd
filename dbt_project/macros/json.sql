{#- Portable JSON access. DuckDB's JSON and PostgreSQL's JSONB share the -> / ->>
    operators; engines that do not (Spark: get_json_object) get their own
    dispatched implementation. -#}

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

{% macro default__unnest_json_array(json_expression, alias) -%}
    cross join lateral (
        select unnest(cast(coalesce({{ json_expression }}, '[]') as json[])) as value
    ) as {{ alias }}
{%- endmacro %}

{% macro postgres__unnest_json_array(json_expression, alias) -%}
    cross join lateral jsonb_array_elements(coalesce({{ json_expression }}, '[]'::jsonb)) as {{ alias }}(value)
{%- endmacro %}


{#- A JSON sub-document (not text): for passing to unnest_json_array. -#}
{% macro json_get(column, keys) -%}
    {%- set keys = [keys] if keys is string else keys -%}
    ({{ column }}{% for key in keys %} -> {{ key if key is number else "'" ~ key ~ "'" }}{% endfor %})
{%- endmacro %}
