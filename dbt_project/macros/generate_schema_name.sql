{#- Models land in the schema their folder names (staging, audiences, ...), not
    <target_schema>_<custom>, so other systems read stable names. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
