{{
    config(
        materialized='incremental',
        unique_key='retired_customer_id',
        full_refresh=false
    )
}}
{#- Every customer id retired by a merge, and the id that absorbed it: an id
    that was current before this run, is no longer anyone's, and whose records
    now belong to a surviving customer. Appended run by run; a chain (a -> b,
    later b -> c) is resolved by following it. -#}
with

assignments as (

    select * from {{ ref('int_identity__assignments') }}

),

still_current as (

    select distinct customer_id from assignments where is_current

)

select
    assignments.previous_customer_id as retired_customer_id,
    min(assignments.customer_id) as surviving_customer_id,
    cast({{ dbt.current_timestamp() }} as timestamp) as merged_at
from assignments
left join still_current on still_current.customer_id = assignments.previous_customer_id
where assignments.is_current
    and assignments.previous_customer_id is not null
    and assignments.previous_customer_id <> assignments.customer_id
    and still_current.customer_id is null
group by assignments.previous_customer_id
