{#- Identifiers that must not link records, and why: the configured blocklist
    (var identity_blocklist) and identifiers carried by more than
    var('identity_max_records_per_identifier') distinct records on one platform
    (a shop's own phone typed into every walk-in sale, a shared family inbox).
    Identifiers are a record's own (int_identity__record_identifiers). -#}
with

pairs as (

    select platform, identifier_type, identifier_value, record_key
    from {{ ref('int_identity__record_identifiers') }}

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
