{#- Identifiers that must not link records, and why: the configured blocklist
    (var identity_blocklist) and identifiers carried by more than
    var('identity_max_records_per_identifier') distinct records on one platform
    (a shop's own phone typed into every walk-in sale, a shared family inbox). -#}
with

records as (

    select * from {{ ref('int_identity__source_records') }}

),

pairs as (

    select platform, 'email' as identifier_type, email_normalized as identifier_value, record_key
    from records
    where email_normalized is not null

    union all

    select platform, 'phone', phone_e164, record_key
    from records
    where phone_e164 is not null

),

blocklisted as (

    select distinct
        pairs.identifier_type,
        pairs.identifier_value,
        'blocklist' as reason,
        cast(null as {{ type_varchar() }}) as platform,
        cast(null as integer) as record_count
    from pairs
    where
        {%- for value in var('identity_blocklist') %}
        pairs.identifier_value = '{{ value }}'{% if not loop.last %} or{% endif %}
        {%- endfor %}

),

high_degree as (

    select
        identifier_type,
        identifier_value,
        'shared by ' || cast(count(distinct record_key) as {{ type_varchar() }}) || ' records on ' || platform as reason,
        platform,
        cast(count(distinct record_key) as integer) as record_count
    from pairs
    group by identifier_type, identifier_value, platform
    having count(distinct record_key) > {{ var('identity_max_records_per_identifier') }}

)

select * from blocklisted
union all
select * from high_degree
