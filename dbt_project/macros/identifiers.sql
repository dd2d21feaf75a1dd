{#- Identifier normalization, in SQL that runs unchanged on DuckDB and PostgreSQL.
    Agreement with the reference libraries (email-validator, phonenumbers) on the
    sandbox's identifiers is measured by benchmarks/normalization_agreement.py. -#}

{% macro regex_matches(expression, pattern) -%}
    {{ return(adapter.dispatch('regex_matches', 'omnihub')(expression, pattern)) }}
{%- endmacro %}

{% macro default__regex_matches(expression, pattern) -%}
    regexp_matches({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{% macro postgres__regex_matches(expression, pattern) -%}
    ({{ expression }} ~ '{{ pattern }}')
{%- endmacro %}

{#- Spark's string literals read backslash escapes: each backslash of the
    pattern is doubled, and a quote ('' in SQL) written \'. -#}
{% macro spark__regex_matches(expression, pattern) -%}
    ({{ expression }} rlike '{{ pattern | replace("\\", "\\\\") | replace("''", "\\'") }}')
{%- endmacro %}


{#- Trimmed, lowercased, syntax-checked (null when invalid). Gmail ignores dots
    and everything after "+" in the local part, and googlemail.com is gmail.com:
    those collapse to one canonical address. Other providers' rules differ (a dot
    is significant at Outlook), so only Gmail's are applied. -#}
{% macro normalize_email(expression) -%}
    {%- set e = "lower(trim(" ~ expression ~ "))" -%}
    case
        when {{ regex_matches(e, "^[a-z0-9!#$%&*+/=?^_`{|}~''-]+(\\.[a-z0-9!#$%&*+/=?^_`{|}~''-]+)*@([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$") }}
        then
            case
                when split_part({{ e }}, '@', 2) in ('gmail.com', 'googlemail.com')
                then replace(split_part(split_part({{ e }}, '@', 1), '+', 1), '.', '') || '@gmail.com'
                else {{ e }}
            end
    end
{%- endmacro %}


{#- E.164 or null, as libphonenumber reads the number: looked up in
    identity.phone_numbers, which warehouse/phone_numbers.py fills before dbt runs
    (SQL rules agreed with the library on only 95.6% of the sandbox's phones).
    The country hint is the record's country when its source has one, else the
    default country applies. -#}
{% macro phone_e164(phone_expression, country_expression=none) -%}
    (
        select phone_numbers.e164
        from {{ source('identity', 'phone_numbers') }} as phone_numbers
        where phone_numbers.raw_phone = trim({{ phone_expression }})
            and phone_numbers.hint_country = {{ "coalesce(upper(" ~ country_expression ~ "), '')" if country_expression else "''" }}
            and phone_numbers.is_primary
    )
{%- endmacro %}
