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
    previous_customer_id as retired_customer_id,
    min(customer_id) as surviving_customer_id,
    cast({{ dbt.current_timestamp() }} as timestamp) as merged_at
from assignments
where is_current
    and previous_customer_id is not null
    and previous_customer_id <> customer_id
    and previous_customer_id not in (select customer_id from still_current)
group by previous_customer_id
