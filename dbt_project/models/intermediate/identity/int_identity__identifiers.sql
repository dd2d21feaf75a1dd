{#- (record, identifier) pairs: the bipartite graph identity resolution walks.

    - Each record's own identifiers (int_identity__record_identifiers): emails
      and phones as normalized in staging, a platform's own links (a Square
      loyalty phone, a Shopify default address's phone), and a home with a full
      name (address_name).
    - A phone written in national format where the source has no country
      (07224 487508) is read in each of var('phone_countries') by
      warehouse/phone_numbers.py; it links only if exactly one reading is a
      number some other record already carries.
    - Identifiers inferred by a rule (an email one typo away, an online order
      returned in store), with their evidence in
      int_identity__inferred_identifiers, count as the record's own from here.
    - Identifiers that would over-merge (blocklisted, or carried by too many
      records on one platform) are left out here and listed, with the reason, in
      int_identity__excluded_identifiers.
    - An identifier carried by records with different first names (a family
      inbox, a shared landline) links only records with the same first name:
      its key is qualified by the name. -#}
with

records as (

    select * from {{ ref('int_identity__source_records') }}

),

direct_pairs as (

    select record_key, platform, identifier_type, identifier_value
    from {{ ref('int_identity__record_identifiers') }}

),

known_phones as (

    select distinct identifier_value from direct_pairs where identifier_type = 'phone'

),

national_readings as (

    -- the other countries' readings of a national-format phone with no country
    select distinct records.record_key, records.platform, phone_numbers.e164 as reading
    from records
    inner join {{ source('identity', 'phone_numbers') }} as phone_numbers
        on phone_numbers.raw_phone = records.phone
        and phone_numbers.hint_country = ''
        and not phone_numbers.is_primary
    where records.phone_e164 is null
        and phone_numbers.e164 is not null

),

resolved_national as (

    select record_key, platform, 'phone' as identifier_type, min(reading) as identifier_value
    from national_readings
    where reading in (select identifier_value from known_phones)
    group by record_key, platform
    having count(distinct reading) = 1

),

pairs as (

    select distinct record_key, platform, identifier_type, identifier_value
    from (
        select * from direct_pairs
        union all
        select * from resolved_national
        union all
        select record_key, platform, identifier_type, identifier_value
        from {{ ref('int_identity__inferred_identifiers') }}
    ) as all_pairs
    -- a loyalty phone may name a customer record that no longer exists
    where record_key in (select record_key from records)

),

excluded as (

    select distinct identifier_type, identifier_value
    from {{ ref('int_identity__excluded_identifiers') }}

),

kept as (

    select pairs.*, lower(trim(records.first_name)) as first_name
    from pairs
    inner join records on records.record_key = pairs.record_key
    left join excluded
        on excluded.identifier_type = pairs.identifier_type
        and excluded.identifier_value = pairs.identifier_value
    where excluded.identifier_value is null

),

name_conflicts as (

    select identifier_type, identifier_value
    from kept
    group by identifier_type, identifier_value
    having count(distinct first_name) > 1

)

select
    kept.record_key,
    kept.platform,
    kept.identifier_type,
    kept.identifier_value,
    kept.identifier_type || ':' || kept.identifier_value
        || case when name_conflicts.identifier_value is not null then '#' || kept.first_name else '' end
        as identifier_key
from kept
left join name_conflicts
    on name_conflicts.identifier_type = kept.identifier_type
    and name_conflicts.identifier_value = kept.identifier_value
-- a name-qualified identifier cannot link a record that has no name
where name_conflicts.identifier_value is null or kept.first_name is not null
