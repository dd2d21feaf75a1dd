{#- A list var as SQL string literals for `in (...)`: ['a', "b'c"] -> 'a', 'b''c'. -#}
{% macro string_list(values) -%}
    {%- for value in values -%}
        '{{ value | replace("'", "''") }}'{{ ', ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}



{#- dbt's cross-database listagg on Spark ignores its order_by_clause (it
    predates Spark 4's ordered aggregates); audiences and identity links need
    the order, and Spark 4 has listagg ... within group (order by ...). -#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- if limit_num -%}
        {{ exceptions.raise_compiler_error("listagg with limit_num is not supported on Spark here") }}
    {%- endif -%}
    listagg({{ measure }}, {{ delimiter_text }})
    {%- if order_by_clause %} within group ({{ order_by_clause }}){% endif %}
{%- endmacro %}
