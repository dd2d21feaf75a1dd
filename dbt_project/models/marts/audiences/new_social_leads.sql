{#- Play 1, social leads to email, fast: everyone who filled a Meta lead form
    within var('new_lead_days'), their newest form, with the form, campaign and
    ad that brought them, for Klaviyo's "new leads" list (a welcome flow starts
    on joining it) and their profile. One row per customer. Whether the form
    captured email consent is carried as `form_email_consent`; the sync engine's
    email gate keeps out anyone without consent, and only
    social_lead_subscriptions ever subscribes anyone. -#}
with

leads as (

    select
        leads.*,
        assignments.customer_id,
        row_number() over (
            partition by assignments.customer_id
            order by leads.created_at desc, leads.meta_lead_id desc
        ) as newest
    from {{ ref('stg_meta_ads__leads') }} as leads
    inner join {{ ref('int_identity__assignments') }} as assignments
        on assignments.record_key = 'meta_ads:lead:' || leads.meta_lead_id
        and assignments.is_current
    where leads.created_at > {{ as_of_minus(var('new_lead_days')) }}
        and leads.created_at <= {{ as_of() }}

),

campaigns as (

    select * from {{ ref('stg_meta_ads__campaigns') }}

),

customers as (

    select * from {{ ref('customers') }}

),

final as (

    select
        {{ audience_member_columns('customers') }},
        leads.meta_lead_id,
        leads.meta_form_id as lead_form_id,
        leads.meta_campaign_id as lead_campaign_id,
        campaigns.campaign_name as lead_campaign_name,
        leads.meta_ad_id as lead_ad_id,
        leads.created_at as lead_created_at,
        leads.accepts_email_marketing as form_email_consent
    from leads
    inner join customers on customers.customer_id = leads.customer_id
    left join campaigns on campaigns.meta_campaign_id = leads.meta_campaign_id
    where leads.newest = 1
        and {{ not_suppressed() }}

)

select * from final
