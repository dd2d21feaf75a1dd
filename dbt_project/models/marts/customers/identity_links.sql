{#- For each source record: its customer, and the identifiers that joined it to
    that customer's other records (shared with at least one of them), plus any
    of its identifiers left out as blocklisted or over-shared. Answers "why are
    these two the same person?". -#}
with

assignments as (

    select * from {{ ref('int_identity__assignments') }}
    where is_current

),

records as (

    select * from {{ ref('int_identity__source_records') }}

),

identifiers as (

    select identifiers.*, assignments.customer_id
    from {{ ref('int_identity__identifiers') }} as identifiers
    inner join assignments on assignments.record_key = identifiers.record_key

),

shared as (

    -- identifiers that at least two records of the same customer carry
    select customer_id, identifier_key
    from identifiers
    group by customer_id, identifier_key
    having count(distinct record_key) > 1

),

linking as (

    select
        identifiers.record_key,
        {{ dbt.listagg('identifiers.identifier_key', "', '", 'order by identifiers.identifier_key') }} as linked_by
    from identifiers
    inner join shared
        on shared.customer_id = identifiers.customer_id
        and shared.identifier_key = identifiers.identifier_key
    group by identifiers.record_key

),

excluded_carried as (

    -- one equi-join per identifier type (a join on `(email) or (phone)` is a
    -- nested loop over every record and excluded identifier)
    select records.record_key, excluded.identifier_type, excluded.identifier_value
    from records
    inner join {{ ref('int_identity__excluded_identifiers') }} as excluded
        on excluded.identifier_value = records.email_normalized
        and excluded.identifier_type = 'email'

    union all

    select records.record_key, excluded.identifier_type, excluded.identifier_value
    from records
    inner join {{ ref('int_identity__excluded_identifiers') }} as excluded
        on excluded.identifier_value = records.phone_e164
        and excluded.identifier_type = 'phone'

),

excluded as (

    select
        record_key,
        string_agg(
            distinct identifier_type || ':' || identifier_value,
            ', '
        ) as excluded_identifiers
    from excluded_carried
    group by record_key

)

select
    records.record_key,
    records.platform,
    records.entity,
    records.source_id,
    assignments.customer_id,
    records.email_normalized,
    records.phone_e164,
    linking.linked_by,
    excluded.excluded_identifiers,
    assignments.customer_since,
    assignments.assigned_at
from records
inner join assignments on assignments.record_key = records.record_key
left join linking on linking.record_key = records.record_key
left join excluded on excluded.record_key = records.record_key
