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


{#- Every match of `pattern` replaced (POSIX/RE2 syntax common to the engines). -#}
{% macro regex_replace_all(expression, pattern, replacement) -%}
    {{ return(adapter.dispatch('regex_replace_all', 'omnihub')(expression, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regex_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{#- Spark replaces every match without a flag; its literals read backslash escapes. -#}
{% macro spark__regex_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern | replace("\\", "\\\\") }}', '{{ replacement }}')
{%- endmacro %}


{#- A street line as one key for the many ways it is typed: lowercased, the unit
    dropped (", Apt. 4B", " #4B", " Unit 4B": neighbours in a building share the
    rest), punctuation and repeated spaces removed, the usual street kinds
    abbreviated (Street -> st, Avenue / Av -> ave, Straße / Strasse -> str ...).
    Null when nothing is left. -#}
{% macro normalize_street(expression) -%}
    {%- set kinds = [
        ('street', 'st'), ('avenue', 'ave'), ('av', 'ave'), ('road', 'rd'), ('drive', 'dr'),
        ('lane', 'ln'), ('boulevard', 'blvd'), ('court', 'ct'), ('place', 'pl'),
    ] -%}
    {%- set lowered = "replace(replace(lower(trim(" ~ expression ~ ")), 'ß', 'ss'), 'strasse', 'str')" -%}
    {%- set no_unit = regex_replace_all(lowered, "((\\s|,)+(apt|apartment|unit|suite|ste)\\.?\\s*|\\s*#\\s*)[a-z0-9-]+\\s*$", "") -%}
    {%- set street = namespace(words="' ' || trim(" ~ regex_replace_all(no_unit, "[^a-z0-9]+", " ") ~ ") || ' '") -%}
    {%- for long, short in kinds -%}
        {%- set street.words = "replace(" ~ street.words ~ ", ' " ~ long ~ " ', ' " ~ short ~ " ')" -%}
    {%- endfor -%}
    nullif(trim({{ street.words }}), '')
{%- endmacro %}


{#- A postal code as one key: upper case, letters and digits only; a US ZIP+4
    keeps its five-digit ZIP. -#}
{% macro normalize_postal_code(expression, country_expression) -%}
    {%- set cleaned = regex_replace_all("upper(trim(" ~ expression ~ "))", "[^A-Z0-9]", "") -%}
    nullif(
        case
            when upper({{ country_expression }}) = 'US' then substr({{ cleaned }}, 1, 5)
            else {{ cleaned }}
        end,
        ''
    )
{%- endmacro %}
