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


{#- The start of a window that ends at as_of(): `as_of_minus(30)` is 30 days
    ago, `as_of_minus(72, 'hour')` three days ago to the second. Through dbt's
    cross-database dateadd, so the same text runs on every engine. -#}
{% macro as_of_minus(amount, unit='day') -%}
    {{ dbt.dateadd(unit, -1 * amount, as_of()) }}
{%- endmacro %}
