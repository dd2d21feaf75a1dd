{#- A query-string parameter of a URL or path ('/p?utm_source=facebook&x=1'),
    lowercased, or null when absent or empty. split_part runs unchanged on
    DuckDB and PostgreSQL; '?' is read as '&' so the first parameter matches
    like the others, and a '#fragment' is dropped first. -#}
{% macro url_parameter(url, parameter) -%}
    nullif(lower(split_part(split_part(
        replace(split_part({{ url }}, '#', 1), '?', '&'),
        '&{{ parameter }}=', 2), '&', 1)), '')
{%- endmacro %}
