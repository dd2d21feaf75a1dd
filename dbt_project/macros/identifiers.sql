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


{#- E.164 (+<country code><national number>) or null. International input
    (+, 00) keeps its own country code; national input takes the record's country
    when the source has one, else var('default_phone_country'). Trunk prefixes:
    NANP numbers may carry a leading 1, the European plans a leading 0.
    Validity: E.164's 8-15 digits, and NANP's rule that area code and exchange
    start with 2-9 (so 0000000000 is rejected). -#}
{% macro normalize_phone(expression, country_expression=none) -%}
    {%- set codes = var('phone_calling_codes') -%}
    {%- set country = "coalesce(upper(" ~ country_expression ~ "), '" ~ var('default_phone_country') ~ "')" if country_expression else "'" ~ var('default_phone_country') ~ "'" -%}
    {%- set digits = "regexp_replace(" ~ expression ~ ", '[^0-9]', '', 'g')" -%}
    {%- set calling_code -%}
        case {{ country }}
        {%- for iso, code in codes.items() %} when '{{ iso }}' then '{{ code }}'{% endfor %}
        end
    {%- endset -%}
    {%- set candidate -%}
        case
            when trim({{ expression }}) like '+%' then '+' || {{ digits }}
            when {{ digits }} like '00%' then '+' || substr({{ digits }}, 3)
            when ({{ calling_code }}) = '1' and length({{ digits }}) = 10 then '+1' || {{ digits }}
            when ({{ calling_code }}) = '1' and length({{ digits }}) = 11 and {{ digits }} like '1%' then '+' || {{ digits }}
            when ({{ calling_code }}) <> '1' and {{ digits }} like '0%' and {{ digits }} not like '00%'
                then '+' || ({{ calling_code }}) || substr({{ digits }}, 2)
        end
    {%- endset -%}
    case
        when {{ regex_matches(candidate, "^\\+1") }}
            then case when {{ regex_matches(candidate, "^\\+1[2-9][0-9]{2}[2-9][0-9]{6}$") }} then {{ candidate }} end
        when {{ regex_matches(candidate, "^\\+[2-9][0-9]{7,14}$") }} then {{ candidate }}
    end
{%- endmacro %}
