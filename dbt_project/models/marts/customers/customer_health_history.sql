{#- Every customer's health score, one row per customer and scoring day (the
    day of as_of()), kept across runs so at_risk_customers can tell whose
    health fell. Incremental: a run appends its day; a second run on the same
    day replaces that day's rows (delete+insert on customer_id, scored_on), so
    reruns never double a day (on Spark: insert_overwrite of that day's
    partition, the same outcome). A full refresh keeps only the current day:
    history lives nowhere else. -#}
{{
    config(
        materialized='incremental',
        unique_key=['customer_id', 'scored_on'],
        incremental_strategy=upsert_strategy(),
        on_schema_change='fail',
        full_refresh=false,
        partition_by=['scored_on']
    )
}}
with

health as (

    select * from {{ ref('customer_health') }}

),

final as (

    select
        health.customer_id,
        cast(health.scored_at as date) as scored_on,
        health.scored_at,
        health.health_score,
        health.health_band,
        health.lifetime_value
    from health

)

select * from final
