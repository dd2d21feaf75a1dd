{#- Lowercase hex SHA-256 of a text expression (null stays null): how erasure
    requests are stored and matched, so the identifiers of people who asked to be
    forgotten are never kept in the clear. -#}
{% macro sha256_hex(expression) -%}
    {{ return(adapter.dispatch('sha256_hex', 'omnihub')(expression)) }}
{%- endmacro %}

{% macro default__sha256_hex(expression) -%}
    sha256({{ expression }})
{%- endmacro %}

{% macro spark__sha256_hex(expression) -%}
    sha2({{ expression }}, 256)
{%- endmacro %}

{% macro postgres__sha256_hex(expression) -%}
    encode(sha256(convert_to({{ expression }}, 'UTF8')), 'hex')
{%- endmacro %}


{#- A 48-bit integer digest of a string (the first 12 hex digits of its MD5),
    for order-free checksums: the sum over a group's rows changes when any row
    does, at a 2^-48 chance of missing it, and stays far from bigint overflow. -#}
{% macro md5_bigint(expression) -%}
    {{ return(adapter.dispatch('md5_bigint', 'omnihub')(expression)) }}
{%- endmacro %}

{% macro default__md5_bigint(expression) -%}
    cast(('0x' || substr(md5({{ expression }}), 1, 12)) as bigint)
{%- endmacro %}

{% macro postgres__md5_bigint(expression) -%}
    ('x' || substr(md5({{ expression }}), 1, 12))::bit(48)::bigint
{%- endmacro %}

{% macro spark__md5_bigint(expression) -%}
    cast(conv(substr(md5({{ expression }}), 1, 12), 16, 10) as bigint)
{%- endmacro %}
