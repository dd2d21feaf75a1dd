{#- Spark has no bare `varchar` (it wants a length) and calls text `string`.
    The project writes `varchar` in casts and contracts like DuckDB and
    PostgreSQL do; on Spark dbt's cast (which contract checks and unit-test
    fixtures go through) reads it as `string`. -#}
{% macro spark_type(data_type) -%}
    {%- set normalized = data_type | trim | lower -%}
    {%- if normalized in ('varchar', 'text', 'character varying') -%}
        string
    {%- elif normalized == 'double precision' -%}
        double
    {%- else -%}
        {{ data_type }}
    {%- endif -%}
{%- endmacro %}

{% macro spark__cast(field, type) -%}
    cast({{ field }} as {{ spark_type(type) }})
{%- endmacro %}


{#- Type names for casts in model SQL, where the engines disagree. -#}
{% macro type_varchar() -%}
    {{ return(adapter.dispatch('type_varchar', 'omnihub')()) }}
{%- endmacro %}

{% macro default__type_varchar() -%}
    varchar
{%- endmacro %}

{% macro spark__type_varchar() -%}
    string
{%- endmacro %}

{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'omnihub')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}
