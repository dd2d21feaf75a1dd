{#- A list var as SQL string literals for `in (...)`: ['a', "b'c"] -> 'a', 'b''c'. -#}
{% macro string_list(values) -%}
    {%- for value in values -%}
        '{{ value | replace("'", "''") }}'{{ ', ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
