{#- Identifiers a record is taken to carry although its own fields do not hold
    them, each with the rule and the evidence (identity_links shows them as
    inferred_by). int_identity__identifiers adds them to the records' own, so they
    pass the same exclusions and the same first-name qualification, and the
    components link them like any other identifier.

    - email_one_edit: two records whose emails are one keystroke apart and agree
      on everything else (int_identity__fuzzy_email_matches, is_match) each
      carry the other's address too.
    - online_order_returned_in_store: a Square customer who brought back an
      online order (a Square return with no Square sale, reference_id naming
      the Shopify order) and the Shopify customer who placed it both carry
      that order. If their first names differ (a gift returned by someone
      else) the first-name qualification keeps them apart.
    - order_cited_in_ticket: a Zendesk requester who named an online order in
      the ticket's "Order number" field (var zendesk_order_number_field_id;
      digits compared, #1042 = 1042 = Order 1042, four at least) and the
      Shopify customer who placed it both carry that order. A digit typed
      wrong names someone else's order: the first-name qualification keeps
      them apart unless the names agree too. -#}
with

fuzzy_emails as (

    select
        matches.record_key,
        records.platform,
        'email' as identifier_type,
        matches.other_email as identifier_value,
        'email_one_edit' as rule,
        matches.email || ' is one ' || matches.edit || ' character from '
        || matches.other_email || ' (' || matches.other_record_key || ')' as evidence
    from {{ ref('int_identity__fuzzy_email_matches') }} as matches
    inner join {{ ref('int_identity__source_records') }} as records
        on records.record_key = matches.record_key
    where matches.is_match

),

online_orders as (

    -- a clerk keys the order's name (#1001) or its id: both, as join keys
    select shopify_order_id, order_name as reference, 'shopify:customer:' || shopify_customer_id as record_key
    from {{ ref('stg_shopify__orders') }}
    where shopify_customer_id is not null and order_name is not null

    union all

    select shopify_order_id, shopify_order_id as reference, 'shopify:customer:' || shopify_customer_id
    from {{ ref('stg_shopify__orders') }}
    where shopify_customer_id is not null

),

returned_in_store as (

    select distinct
        'square:customer:' || returns.square_customer_id as record_key,
        returns.square_order_id,
        online_orders.shopify_order_id,
        online_orders.record_key as shopify_record_key
    from {{ ref('stg_square__order_returns') }} as returns
    inner join online_orders on online_orders.reference = returns.reference_id
    where returns.source_order_id is null
        and returns.square_customer_id is not null
        and returns.order_state = 'COMPLETED'

),

order_numbers as (

    -- an order's name (#1042) by its digits, the way a customer types it
    select
        shopify_order_id,
        shopify_customer_id,
        {{ regex_replace_all('order_name', '[^0-9]', '') }} as order_digits
    from {{ ref('stg_shopify__orders') }}
    where shopify_customer_id is not null

),

ticket_order_numbers as (

    select
        zendesk_ticket_id,
        {{ regex_replace_all('field_value', '[^0-9]', '') }} as order_digits
    from {{ ref('stg_zendesk__ticket_fields') }}
    where field_id = '{{ var("zendesk_order_number_field_id") }}'

),

cited_orders as (

    select distinct
        'zendesk:user:' || tickets.zendesk_user_id as record_key,
        tickets.zendesk_ticket_id,
        orders.shopify_order_id,
        'shopify:customer:' || orders.shopify_customer_id as shopify_record_key
    from ticket_order_numbers as cited
    inner join {{ ref('stg_zendesk__tickets') }} as tickets
        on tickets.zendesk_ticket_id = cited.zendesk_ticket_id
    inner join order_numbers as orders
        on orders.order_digits = cited.order_digits
    where length(cited.order_digits) >= 4
        and tickets.zendesk_user_id is not null

),

order_citations as (

    -- an online order named by another platform's record: that record and the
    -- order's owner each carry it, with the evidence as each side would say it
    select
        record_key,
        'square' as platform,
        shopify_record_key,
        shopify_order_id,
        'online_order_returned_in_store' as rule,
        'returned online order ' || shopify_order_id || ' in store (Square order '
        || square_order_id || ')' as record_evidence,
        'placed online order ' || shopify_order_id || ', returned in store (Square order '
        || square_order_id || ')' as owner_evidence
    from returned_in_store

    union all

    select
        record_key,
        'zendesk',
        shopify_record_key,
        shopify_order_id,
        'order_cited_in_ticket',
        'named online order ' || shopify_order_id || ' in ticket ' || zendesk_ticket_id,
        'placed online order ' || shopify_order_id || ', named in Zendesk ticket ' || zendesk_ticket_id
    from cited_orders

),

order_links as (

    select
        record_key,
        platform,
        'shopify_order' as identifier_type,
        shopify_order_id as identifier_value,
        rule,
        record_evidence as evidence
    from order_citations

    union all

    select
        shopify_record_key,
        'shopify',
        'shopify_order',
        shopify_order_id,
        rule,
        owner_evidence
    from order_citations

)

select * from fuzzy_emails
union all
select * from order_links
