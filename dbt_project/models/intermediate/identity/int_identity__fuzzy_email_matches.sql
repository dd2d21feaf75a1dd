{#- Pairs of records whose emails are one keystroke apart (a typo: "acasta3506@"
    for "acosta3506@"), each with the evidence for and against calling them one
    person, and the decision (is_match). Exact identifiers cannot link them: the
    typed address is a different string.

    Blocking, in portable SQL (no fuzzystrmatch, no engine functions): each
    distinct address's local part is written with each of its characters
    deleted in turn. Two local parts at Levenshtein distance exactly 1 share
    such a deletion at the same position (one character substituted) or one is
    a deletion of the other (one character typed or dropped), in the same
    domain: that join finds every such pair, and only those, so the candidate
    pairs stay near the number of typos rather than the square of the records.

    A candidate pair of records is a match only if all of these hold:
    - neither address is blocklisted or over-shared
      (int_identity__excluded_identifiers);
    - the edited character is not a digit on both sides, and no digit was typed
      or dropped: numbers tell accounts apart (jo.lee1@ / jo.lee2@ are two
      people), letters in a typo do not;
    - both records carry a first name, and they are the same (a household whose
      members use addresses one letter apart, like a shared inbox, stays apart);
    - their last names do not differ (one may be missing);
    - their phones do not differ (one may be missing);
    - the local part has at least var('identity_fuzzy_email_min_length') (6)
      characters: one letter apart, "jo@" and "ja@" are two people;
    - neither address would link to more than
      var('identity_fuzzy_email_max_neighbours') other addresses (3) (a star of a
      real address and its typos is fine; a crowd of near-identical addresses
      is a pattern, not a typo).
    var('identity_fuzzy_email_max_edits') (1): 1 links one-edit typos, 0 turns
    the rule off (the blocking finds one edit at most, so larger values act as 1).
    Local parts longer than RFC 5321's 64 characters are not compared. -#}
{%- set max_edits = var('identity_fuzzy_email_max_edits') -%}
{%- set min_length = var('identity_fuzzy_email_min_length') -%}
{%- set max_neighbours = var('identity_fuzzy_email_max_neighbours') -%}
with

records as (

    select
        record_key,
        platform,
        email_normalized,
        phone_e164,
        nullif(lower(trim(first_name)), '') as first_name,
        nullif(lower(trim(last_name)), '') as last_name
    from {{ ref('int_identity__source_records') }}
    where email_normalized is not null

),

excluded as (

    select distinct identifier_value
    from {{ ref('int_identity__excluded_identifiers') }}
    where identifier_type = 'email'

),

addresses as (

    select distinct
        records.email_normalized as email,
        split_part(records.email_normalized, '@', 1) as local_part,
        split_part(records.email_normalized, '@', 2) as domain
    from records
    left join excluded on excluded.identifier_value = records.email_normalized
    where excluded.identifier_value is null
        and {{ max_edits }} >= 1
        and length(split_part(records.email_normalized, '@', 1)) >= {{ min_length }}

),

positions as (

    select cast(generated_number as integer) as position
    from ({{ dbt.generate_series(64) }}) as numbers

),

deletions as (

    -- (address, position, the local part without that character @ domain);
    -- position 0 is the whole address
    select email, 0 as position, email as reduced
    from addresses

    union all

    select
        addresses.email,
        positions.position,
        substr(addresses.local_part, 1, positions.position - 1)
        || substr(addresses.local_part, positions.position + 1)
        || '@' || addresses.domain as reduced
    from addresses
    inner join positions on positions.position <= length(addresses.local_part)
    where length(addresses.local_part) <= 64

),

address_pairs as (

    -- one join over the deletions, both directions: the same deletion at the
    -- same position is one character substituted; a whole local part equal to
    -- a deletion of the other is one character the other typed (or this one
    -- dropped); the same deletion at two positions is two edits, not a pair
    select
        one.email,
        other.email as other_email,
        one.position,
        other.position as other_position
    from deletions as one
    inner join deletions as other on other.reduced = one.reduced
    where one.email <> other.email
        and (
            one.position = other.position
            or (one.position = 0 and other.position > 0)
            or (other.position = 0 and one.position > 0)
        )

),

described as (

    select
        email,
        other_email,
        case
            when position = 0 then 'dropped'
            when other_position = 0 then 'typed'
            else 'substituted'
        end as edit,
        greatest(position, other_position) as position,
        case when position > 0 then substr(email, position, 1) else '' end as typed,
        case when other_position > 0 then substr(other_email, other_position, 1) else '' end as other_typed
    from address_pairs

),

edits as (

    -- a run of one letter ("aa") gives the same edit at several positions: keep one
    select
        email,
        other_email,
        min(edit) as edit,
        min(position) as position,
        min(typed) as typed,
        min(other_typed) as other_typed
    from described
    group by email, other_email

),

record_pairs as (

    select
        one.record_key,
        other.record_key as other_record_key,
        edits.email,
        edits.other_email,
        edits.edit,
        edits.position,
        edits.typed,
        edits.other_typed,
        one.first_name,
        other.first_name as other_first_name,
        case
            when edits.edit = 'substituted'
                and edits.typed between '0' and '9' and edits.other_typed between '0' and '9'
                then 'a digit differs'
            when edits.edit <> 'substituted' and edits.typed || edits.other_typed between '0' and '9'
                then 'a digit was typed or dropped'
            when one.first_name is null or other.first_name is null then 'a first name is missing'
            when one.first_name <> other.first_name then 'first names differ'
            when one.last_name <> other.last_name then 'last names differ'
            when one.phone_e164 <> other.phone_e164 then 'phones differ'
        end as rule_failed
    from edits
    inner join records as one on one.email_normalized = edits.email
    inner join records as other on other.email_normalized = edits.other_email

),

neighbours as (

    -- how many other addresses each address would link to
    select email, count(distinct other_email) as neighbour_count
    from record_pairs
    where rule_failed is null
    group by email

),

judged as (

    select
        record_pairs.*,
        coalesce(
            record_pairs.rule_failed,
            case
                when greatest(one_side.neighbour_count, other_side.neighbour_count) > {{ max_neighbours }}
                    then 'ambiguous: an address close to more than {{ max_neighbours }} others'
            end
        ) as rejected_because
    from record_pairs
    left join neighbours as one_side on one_side.email = record_pairs.email
    left join neighbours as other_side on other_side.email = record_pairs.other_email

)

select
    record_key,
    other_record_key,
    email,
    other_email,
    edit,
    position,
    typed,
    other_typed,
    first_name,
    other_first_name,
    rejected_because,
    rejected_because is null as is_match
from judged
