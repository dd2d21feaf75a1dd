{#- One row per real person across the five platforms. -#}
with

assignments as (

    select * from {{ ref('int_identity__assignments') }}
    where is_current

),

records as (

    select records.*, assignments.customer_id, assignments.customer_since
    from {{ ref('int_identity__source_records') }} as records
    inner join assignments on assignments.record_key = records.record_key

),

best_contact as (

    -- The most recently created record that has one; the shop's record first,
    -- Klaviyo's last: its profiles are often written by integrations (omnihub's
    -- own syncs among them) from what the other platforms hold, not typed by the
    -- person, so a profile a sync created never displaces the address it came from.
    select
        customer_id,
        {% for column in ['email', 'email_normalized', 'phone_e164', 'first_name', 'last_name'] %}
        max(case when {{ column }}_rank = 1 then {{ column }} end) as {{ column }}{{ ',' if not loop.last }}
        {% endfor %}
    from (
        select
            customer_id,
            {% for column in ['email', 'email_normalized', 'phone_e164', 'first_name', 'last_name'] %}
            {{ column }},
            row_number() over (
                partition by customer_id
                order by
                    case when {{ column }} is null then 1 else 0 end,
                    case platform when 'shopify' then 0 when 'square' then 1 when 'zendesk' then 2 when 'meta_ads' then 3 else 4 end,
                    first_seen_at desc nulls last,
                    record_key
            ) as {{ column }}_rank{{ ',' if not loop.last }}
            {% endfor %}
        from records
    ) as ranked
    group by customer_id

),

oldest_per_platform as (

    -- A person with two records on one platform (a second Klaviyo profile a
    -- lead form's other address made, two shop accounts) is known there by the
    -- oldest: it carries their history, and a newer one never displaces it, so
    -- what the syncs address does not move when a record is added.
    -- Records made at the same instant (two profiles one run's syncs created
    -- for a person Klaviyo did not know, one for a lead form's address): the one
    -- at the person's best address, which the other syncs used.
    select
        records.*,
        row_number() over (
            partition by records.customer_id, records.platform
            order by
                records.first_seen_at nulls last,
                case when records.email_normalized = best_contact.email_normalized then 0 else 1 end,
                records.source_id
        ) as platform_rank
    from records
    left join best_contact on best_contact.customer_id = records.customer_id

),

platform_ids as (

    select
        customer_id,
        min(customer_since) as customer_since,
        min(first_seen_at) as first_seen_at,
        count(*) as source_records,
        {%- for platform, column in [
            ('shopify', 'shopify_customer_id'),
            ('klaviyo', 'klaviyo_profile_id'),
            ('square', 'square_customer_id'),
            ('zendesk', 'zendesk_user_id'),
            ('meta_ads', 'meta_lead_id'),
        ] %}
        max(case when platform = '{{ platform }}' and platform_rank = 1 then source_id end) as {{ column }},
        {%- endfor %}
        count(distinct platform) as platforms_known
    from oldest_per_platform
    group by customer_id

),

consent as (

    select
        customer_id,
        channel,
        granted,
        state,
        stated_at,
        source
    from (
        select
            *,
            row_number() over (
                partition by customer_id, channel
                order by stated_at desc nulls last, source
            ) as statement_rank
        from {{ ref('int_customers__consent_signals') }}
    ) as ranked
    where statement_rank = 1

),

suppressed as (

    select distinct assignments.customer_id
    from {{ ref('stg_klaviyo__profiles') }} as profiles
    inner join assignments on assignments.record_key = 'klaviyo:profile:' || profiles.klaviyo_profile_id
    where profiles.is_suppressed

),

orders as (

    select
        customer_id,
        count(case when is_purchase and channel = 'web' then 1 end) as orders_online,
        count(case when is_purchase and channel = 'store' then 1 end) as orders_in_store,
        coalesce(sum(case when is_purchase and channel = 'web' then net_revenue end), 0) as revenue_online,
        coalesce(sum(case when is_purchase and channel = 'store' then net_revenue end), 0) as revenue_in_store,
        min(case when is_purchase then ordered_at end) as first_purchase_at,
        max(case when is_purchase then ordered_at end) as last_purchase_at
    from {{ ref('int_customers__orders') }}
    group by customer_id

),

loyalty as (

    select
        assignments.customer_id,
        sum(accounts.points_balance) as store_points_balance,
        sum(accounts.lifetime_points) as store_lifetime_points
    from {{ ref('stg_square__loyalty_accounts') }} as accounts
    inner join assignments on assignments.record_key = 'square:customer:' || accounts.square_customer_id
    group by assignments.customer_id

),

events as (

    select
        customer_id,
        max(occurred_at) as last_seen_at,
        count(distinct case when occurred_at >= {{ as_of() }} - interval '30 days' then channel end)
            as channels_engaged_30d,
        count(distinct case when occurred_at >= {{ as_of() }} - interval '90 days' then channel end)
            as channels_engaged_90d
    from {{ ref('customer_events') }}
    where occurred_at <= {{ as_of() }}
    group by customer_id

),

support as (

    select
        assignments.customer_id,
        count(case when tickets.is_open then 1 end) as open_tickets,
        count(*) as tickets_total
    from {{ ref('stg_zendesk__tickets') }} as tickets
    inner join assignments on assignments.record_key = 'zendesk:user:' || tickets.zendesk_user_id
    group by assignments.customer_id

),

csat as (

    select customer_id, score as last_csat_score, rated_at as last_csat_at
    from (
        select
            assignments.customer_id,
            ratings.score,
            ratings.rated_at,
            row_number() over (
                partition by assignments.customer_id
                order by ratings.rated_at desc, ratings.zendesk_satisfaction_rating_id desc
            ) as rating_rank
        from {{ ref('stg_zendesk__satisfaction_ratings') }} as ratings
        inner join assignments on assignments.record_key = 'zendesk:user:' || ratings.zendesk_user_id
    ) as ranked
    where rating_rank = 1

),

top_category as (

    select customer_id, product_category as top_category
    from (
        select
            *,
            row_number() over (
                partition by customer_id
                order by affinity_score desc, revenue desc, product_category
            ) as category_rank
        from {{ ref('int_customers__category_affinity') }}
    ) as ranked
    where category_rank = 1

),

joined as (

    select
        platform_ids.customer_id,
        platform_ids.shopify_customer_id,
        platform_ids.klaviyo_profile_id,
        platform_ids.square_customer_id,
        platform_ids.zendesk_user_id,
        platform_ids.meta_lead_id,
        platform_ids.platforms_known,
        platform_ids.source_records,

        best_contact.email,
        best_contact.email_normalized,
        best_contact.phone_e164,
        best_contact.first_name,
        best_contact.last_name,

        -- consent: the newest statement per channel; a suppression vetoes email
        coalesce(email_consent.granted, false) and suppressed.customer_id is null
            as email_marketing_consent,
        email_consent.state as email_consent_state,
        email_consent.source as email_consent_source,
        email_consent.stated_at as email_consent_at,
        suppressed.customer_id is not null as email_suppressed,
        coalesce(sms_consent.granted, false) as sms_marketing_consent,
        sms_consent.source as sms_consent_source,
        sms_consent.stated_at as sms_consent_at,
        -- Ad platforms get a person only with marketing consent on some channel.
        coalesce(email_consent.granted, false) or coalesce(sms_consent.granted, false)
            as ads_consent,

        platform_ids.first_seen_at,
        greatest(events.last_seen_at, platform_ids.first_seen_at) as last_seen_at,
        platform_ids.customer_since,

        coalesce(orders.orders_online, 0) as orders_online,
        coalesce(orders.orders_in_store, 0) as orders_in_store,
        coalesce(orders.orders_online, 0) + coalesce(orders.orders_in_store, 0) as orders_total,
        cast(coalesce(orders.revenue_online, 0) as decimal(18, 2)) as revenue_online,
        cast(coalesce(orders.revenue_in_store, 0) as decimal(18, 2)) as revenue_in_store,
        cast(coalesce(orders.revenue_online, 0) + coalesce(orders.revenue_in_store, 0) as decimal(18, 2))
            as lifetime_value,
        orders.first_purchase_at,
        orders.last_purchase_at,

        cast(coalesce(loyalty.store_points_balance, 0) as bigint) as store_points_balance,
        -- One point per currency unit spent online, as in store; tiers on the sum.
        cast(coalesce(loyalty.store_lifetime_points, 0)
            + floor(coalesce(orders.revenue_online, 0) * {{ var('online_points_per_currency_unit') }}) as integer)
            as loyalty_lifetime_points,
        cast(coalesce(loyalty.store_points_balance, 0)
            + floor(coalesce(orders.revenue_online, 0) * {{ var('online_points_per_currency_unit') }}) as integer)
            as loyalty_points,

        coalesce(events.channels_engaged_30d, 0) as channels_engaged_30d,
        coalesce(events.channels_engaged_90d, 0) as channels_engaged_90d,

        coalesce(support.open_tickets, 0) as open_tickets,
        coalesce(support.tickets_total, 0) as tickets_total,
        csat.last_csat_score,
        csat.last_csat_at,

        top_category.top_category

    from platform_ids
    left join best_contact on best_contact.customer_id = platform_ids.customer_id
    left join consent as email_consent
        on email_consent.customer_id = platform_ids.customer_id and email_consent.channel = 'email'
    left join consent as sms_consent
        on sms_consent.customer_id = platform_ids.customer_id and sms_consent.channel = 'sms'
    left join suppressed on suppressed.customer_id = platform_ids.customer_id
    left join orders on orders.customer_id = platform_ids.customer_id
    left join loyalty on loyalty.customer_id = platform_ids.customer_id
    left join events on events.customer_id = platform_ids.customer_id
    left join support on support.customer_id = platform_ids.customer_id
    left join csat on csat.customer_id = platform_ids.customer_id
    left join top_category on top_category.customer_id = platform_ids.customer_id

)

select
    joined.*,
    case when orders_total > 0 then cast(lifetime_value / orders_total as decimal(18, 2)) end
        as average_order_value,
    case
        {% for tier in var('loyalty_tiers') %}
        when loyalty_lifetime_points >= {{ tier['min_points'] }} then '{{ tier['name'] }}'
        {% endfor %}
        else '{{ var('loyalty_base_tier') }}'
    end as loyalty_tier
from joined
