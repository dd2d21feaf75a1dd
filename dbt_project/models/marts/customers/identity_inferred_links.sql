{#- The links identity resolution inferred rather than read: for each record,
    each identifier it was taken to carry (an email one typo away from another
    record's, an online order it returned in store), the rule, the evidence,
    and its customer. With identity_links (the identifiers that joined a record
    to its customer) it answers "why are these two the same person?" when their
    own fields share nothing; the candidates that were rejected, and why, are in
    int_identity__fuzzy_email_matches. -#}
select
    inferred.record_key,
    assignments.customer_id,
    inferred.identifier_type || ':' || inferred.identifier_value as identifier,
    inferred.rule,
    inferred.evidence
from {{ ref('int_identity__inferred_identifiers') }} as inferred
inner join {{ ref('int_identity__assignments') }} as assignments
    on assignments.record_key = inferred.record_key
    and assignments.is_current
