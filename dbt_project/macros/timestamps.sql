{#- Vendor timestamps arrive as ISO 8601 text with offsets (Shopify: -04:00,
    Meta: +0000, Square: Z). Everything in the warehouse is naive UTC. -#}

{% macro to_utc(expression) -%}
    {{ return(adapter.dispatch('to_utc', 'omnihub')(expression)) }}
{%- endmacro %}

{% macro default__to_utc(expression) -%}
    cast(timezone('UTC', cast({{ expression }} as timestamp with time zone)) as timestamp)
{%- endmacro %}
