{#- A query-string parameter of a URL or path ('/p?utm_source=facebook&x=1'),
    lowercased, or null when absent or empty. split_part runs unchanged on
    DuckDB and PostgreSQL; '?' is read as '&' so the first parameter matches
    like the others, and a '#fragment' is dropped first. -#}
{% macro url_parameter(url, parameter) -%}
    nullif(lower(split_part(split_part(
        replace(split_part({{ url }}, '#', 1), '?', '&'),
        '&{{ parameter }}=', 2), '&', 1)), '')
{%- endmacro %}


{#- How a Shopify order's or checkout's buyer arrived, as select columns (the
    trailing comma included): the landing page (with its UTM parameters and
    Meta's ad click id), the referring site, the channel the order came from
    (source_name). The same fields on both resources. -#}
{% macro shopify_arrival_columns(payload) -%}
        {{ json_text(payload, 'landing_site') }} as landing_site,
        {{ json_text(payload, 'referring_site') }} as referring_site,
        {{ json_text(payload, 'source_name') }} as source_name,
        {{ url_parameter(json_text(payload, 'landing_site'), 'utm_source') }} as utm_source,
        {{ url_parameter(json_text(payload, 'landing_site'), 'utm_medium') }} as utm_medium,
        {{ url_parameter(json_text(payload, 'landing_site'), 'utm_campaign') }} as utm_campaign,
        {{ url_parameter(json_text(payload, 'landing_site'), 'fbclid') }} as fbclid,
{%- endmacro %}
