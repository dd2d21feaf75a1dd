{#- The flow between journey stages month over month: how many customers
    were in from_stage at the end of the month before and in to_stage at the
    end of this one ('new' = entered the journey this month; from = to: stayed).
    Stages as in int_analytics__customer_stages; a Sankey or stacked bars. -#}
with

stages as (

    select * from {{ ref('int_analytics__customer_stages') }}

),

final as (

    select
        cast(cast(month as {{ type_varchar() }}) || ':' || previous_stage || '>' || stage as {{ type_varchar() }})
            as journey_stage_flow_id,
        cast(month as date) as month,
        cast(previous_stage as {{ type_varchar() }}) as from_stage,
        cast(stage as {{ type_varchar() }}) as to_stage,
        cast(previous_stage = stage as boolean) as is_stay,
        cast(count(*) as bigint) as customers
    from stages
    group by month, previous_stage, stage

)

select * from final
