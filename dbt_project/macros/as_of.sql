{#- The moment "now" means for windows (last 30 days, lapsed for 14 days):
    OMNIHUB_AS_OF when set (the sandbox sets it to its world's clock; a backfill
    can pin it), else the database's current time. Naive UTC like every
    timestamp in the warehouse. -#}
{% macro as_of() -%}
    {%- set pinned = env_var('OMNIHUB_AS_OF', '') -%}
    {%- if pinned -%}
        {{ to_utc("'" ~ pinned ~ "'") }}
    {%- else -%}
        cast({{ dbt.current_timestamp() }} as timestamp)
    {%- endif -%}
{%- endmacro %}
