{#- The columns every audience and suppression row carries: the person
    (customer_id, the key of the engine's consent and suppression gate) and
    what each destination addresses them by. One list, so every audience speaks
    the same shape to the sync engine. -#}
{% macro audience_member_columns(alias='customers') -%}
    {{ alias }}.customer_id,
    {{ alias }}.email,
    {{ alias }}.phone_e164,
    {{ alias }}.first_name,
    {{ alias }}.last_name,
    {{ alias }}.klaviyo_profile_id,
    {{ alias }}.shopify_customer_id,
    {{ alias }}.square_customer_id,
    {{ alias }}.zendesk_user_id
{%- endmacro %}


{#- A filter keeping only people on none of the given suppression lists, and
    never anyone erased (suppress_erased applies to everything, everywhere).
    The audience's YAML names the same lists under meta.omnihub.suppressions;
    the activation layer checks the two agree and the sync engine enforces them
    again before anything leaves. -#}
{% macro not_suppressed(suppressions=[], customer_column='customers.customer_id') -%}
    {%- set lists = (suppressions + ['suppress_erased']) | unique | list -%}
    {%- for name in lists %}
    not exists (
        select 1 from {{ ref(name) }} as suppressed
        where suppressed.customer_id = {{ customer_column }}
    ){{ ' and' if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{#- `'a', 'b'` for an `in (...)` list from a list var. -#}
{% macro sql_list(values) -%}
    {%- for value in values -%}'{{ value }}'{{ ', ' if not loop.last }}{%- endfor -%}
{%- endmacro %}
