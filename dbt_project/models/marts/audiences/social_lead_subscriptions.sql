{#- Play 1, the consent half: every Meta lead whose form captured email
    consent ("yes" to the consent question), subscribed to email marketing in
    Klaviyo with the time they gave it. Never anyone else: no consent on the
    form, no row. Nobody who ever unsubscribed from email on any platform
    either, nor anyone bounced or unsubscribed now (suppress_email_unsubscribed):
    Klaviyo's subscribe lifts an unsubscribe, and turning a refusal back into
    consent is the explicit re-subscription command's job, never a sync's. One
    row per customer, their newest consenting form. -#}
with

consents as (

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
    where leads.accepts_email_marketing
        and leads.created_at <= {{ as_of() }}

),

customers as (

    select * from {{ ref('customers') }}

),

profiles_at_the_address as (

    -- The person's Klaviyo profile that holds the address the form captured:
    -- subscribed by its id, so Klaviyo does not make a second profile for it.
    -- The profile at exactly that address first (Klaviyo keys profiles by the
    -- address as typed, so a subscription by address lands there), else one at
    -- the same mailbox canonically (gmail dots and +tags). A profile with another
    -- address is not subscribed: the consent is for the address given.
    select
        consents.customer_id,
        records.source_id as klaviyo_profile_id,
        row_number() over (
            partition by consents.customer_id
            order by
                case when records.email = consents.email then 0 else 1 end,
                records.source_id
        ) as preference
    from consents
    inner join {{ ref('int_identity__assignments') }} as assignments
        on assignments.customer_id = consents.customer_id
        and assignments.is_current
    inner join {{ ref('int_identity__source_records') }} as records
        on records.record_key = assignments.record_key
    where consents.newest = 1
        and records.platform = 'klaviyo'
        and records.email_normalized = consents.email_normalized

),

refused as (

    select distinct customer_id
    from {{ ref('int_customers__consent_signals') }}
    where channel = 'email' and state = 'unsubscribed'

),

final as (

    -- the address the form captured: that is the one the consent is for
    select
        customers.customer_id,
        consents.email,
        customers.phone_e164,
        customers.first_name,
        customers.last_name,
        profiles_at_the_address.klaviyo_profile_id,
        customers.shopify_customer_id,
        customers.square_customer_id,
        customers.zendesk_user_id,
        consents.meta_lead_id,
        consents.meta_form_id as lead_form_id,
        consents.created_at as consented_at
    from consents
    inner join customers on customers.customer_id = consents.customer_id
    left join profiles_at_the_address
        on profiles_at_the_address.customer_id = consents.customer_id
        and profiles_at_the_address.preference = 1
    where consents.newest = 1
        and consents.email is not null
        and customers.customer_id not in (select customer_id from refused)
        and {{ not_suppressed(['suppress_email_unsubscribed']) }}

)

select * from final
