{#- Vendor timestamps arrive as ISO 8601 text with offsets (Shopify: -04:00,
    Meta: +0000, Square: Z). Everything in the warehouse is naive UTC. -#}

{% macro to_utc(expression) -%}
    {{ return(adapter.dispatch('to_utc', 'omnihub')(expression)) }}
{%- endmacro %}

{#- Spark reads an ISO 8601 offset when casting text to a timestamp, and the
    spark target's session time zone is UTC. -#}
{% macro spark__to_utc(expression) -%}
    cast({{ expression }} as timestamp)
{%- endmacro %}

{% macro default__to_utc(expression) -%}
    cast(timezone('UTC', cast({{ expression }} as timestamp with time zone)) as timestamp)
{%- endmacro %}
