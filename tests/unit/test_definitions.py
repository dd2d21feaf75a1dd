"""The code location loads, and its asset graph is the reviewed one."""

from __future__ import annotations

from orchestration.definitions import defs


def _graph() -> dict[str, tuple[str | None, list[str]]]:
    graph = defs.resolve_asset_graph()
    return {
        key.to_user_string(): (
            graph.get(key).group_name,
            sorted(p.to_user_string() for p in graph.get(key).parent_keys),
        )
        for key in graph.get_all_asset_keys()
    }


def test_asset_graph_snapshot() -> None:
    # A change to the graph shows up here as a reviewable diff.
    assert _graph() == {
        "staging/shopify/stg_shopify__checkout_lines": ("staging", ["raw/shopify/checkouts"]),
        "raw/square/orders": ("raw_square", []),
        "staging/shopify/stg_shopify__orders": ("staging", ["raw/shopify/orders"]),
        "raw/klaviyo/lists": ("raw_klaviyo", []),
        "intermediate/identity/int_identity__source_records": (
            "identity",
            [
                "staging/klaviyo/stg_klaviyo__profiles",
                "staging/meta_ads/stg_meta_ads__leads",
                "staging/shopify/stg_shopify__customers",
                "staging/square/stg_square__customers",
                "staging/zendesk/stg_zendesk__users",
            ],
        ),
        "intermediate/customers/int_customers__consent_signals": (
            "customers",
            [
                "intermediate/identity/int_identity__assignments",
                "staging/klaviyo/stg_klaviyo__profiles",
                "staging/meta_ads/stg_meta_ads__leads",
                "staging/shopify/stg_shopify__customers",
                "staging/square/stg_square__customers",
            ],
        ),
        "staging/zendesk/stg_zendesk__users": (
            "staging",
            [
                "identity/phone_numbers",
                "raw/zendesk/users",
            ],
        ),
        "raw/shopify/orders": ("raw_shopify", []),
        "staging/klaviyo/stg_klaviyo__lists": ("staging", ["raw/klaviyo/lists"]),
        "raw/klaviyo/metrics": ("raw_klaviyo", []),
        "intermediate/identity/int_identity__components": (
            "identity",
            [
                "intermediate/identity/int_identity__identifiers",
                "intermediate/identity/int_identity__source_records",
            ],
        ),
        "staging/zendesk/stg_zendesk__satisfaction_ratings": (
            "staging",
            ["raw/zendesk/satisfaction_ratings"],
        ),
        "raw/klaviyo/profiles": ("raw_klaviyo", []),
        "staging/klaviyo/stg_klaviyo__metrics": ("staging", ["raw/klaviyo/metrics"]),
        "raw/shopify/customers": ("raw_shopify", []),
        "raw/square/customers": ("raw_square", []),
        "staging/klaviyo/stg_klaviyo__profiles": (
            "staging",
            [
                "identity/phone_numbers",
                "raw/klaviyo/profiles",
            ],
        ),
        "raw/meta_ads/campaigns": ("raw_meta_ads", []),
        "marts/customers/customers": (
            "customers",
            [
                "intermediate/customers/int_customers__category_affinity",
                "intermediate/customers/int_customers__consent_signals",
                "intermediate/customers/int_customers__orders",
                "intermediate/identity/int_identity__assignments",
                "intermediate/identity/int_identity__source_records",
                "marts/customers/customer_events",
                "staging/klaviyo/stg_klaviyo__profiles",
                "staging/square/stg_square__loyalty_accounts",
                "staging/zendesk/stg_zendesk__satisfaction_ratings",
                "staging/zendesk/stg_zendesk__tickets",
            ],
        ),
        "intermediate/identity/int_identity__assignments": (
            "identity",
            [
                "intermediate/identity/int_identity__components",
                "intermediate/identity/int_identity__source_records",
            ],
        ),
        "raw/meta_ads/leads": ("raw_meta_ads", []),
        "staging/meta_ads/stg_meta_ads__insights": ("staging", ["raw/meta_ads/insights"]),
        "intermediate/customers/int_customers__orders": (
            "customers",
            [
                "intermediate/identity/int_identity__assignments",
                "staging/shopify/stg_shopify__orders",
                "staging/square/stg_square__order_returns",
                "staging/square/stg_square__orders",
            ],
        ),
        "marts/audiences/shopify_returning_customers": (
            "audiences",
            ["staging/shopify/stg_shopify__customers"],
        ),
        "raw/klaviyo/events": ("raw_klaviyo", []),
        "raw/square/loyalty_accounts": ("raw_square", []),
        "staging/klaviyo/stg_klaviyo__events": (
            "staging",
            [
                "raw/klaviyo/events",
                "staging/klaviyo/stg_klaviyo__metrics",
            ],
        ),
        "staging/zendesk/stg_zendesk__tickets": ("staging", ["raw/zendesk/tickets"]),
        "staging/square/stg_square__orders": ("staging", ["raw/square/orders"]),
        "marts/customers/customer_events": (
            "customers",
            [
                "intermediate/customers/int_customers__orders",
                "intermediate/identity/int_identity__assignments",
                "staging/klaviyo/stg_klaviyo__events",
                "staging/meta_ads/stg_meta_ads__leads",
                "staging/shopify/stg_shopify__checkouts",
                "staging/shopify/stg_shopify__orders",
                "staging/square/stg_square__loyalty_accounts",
                "staging/square/stg_square__orders",
                "staging/zendesk/stg_zendesk__satisfaction_ratings",
                "staging/zendesk/stg_zendesk__tickets",
            ],
        ),
        "staging/shopify/stg_shopify__checkouts": ("staging", ["raw/shopify/checkouts"]),
        "syncs/shopify/shopify_returning_customers": (
            "syncs",
            ["marts/audiences/shopify_returning_customers"],
        ),
        "identity/phone_numbers": (
            "identity",
            [
                "raw/klaviyo/profiles",
                "raw/meta_ads/leads",
                "raw/shopify/customers",
                "raw/square/customers",
                "raw/square/loyalty_accounts",
                "raw/zendesk/users",
            ],
        ),
        "raw/shopify/products": ("raw_shopify", []),
        "staging/square/stg_square__loyalty_accounts": (
            "staging",
            [
                "identity/phone_numbers",
                "raw/square/loyalty_accounts",
            ],
        ),
        "intermediate/identity/int_identity__excluded_identifiers": (
            "identity",
            ["intermediate/identity/int_identity__source_records"],
        ),
        "staging/square/stg_square__order_lines": ("staging", ["raw/square/orders"]),
        "raw/zendesk/users": ("raw_zendesk", []),
        "staging/shopify/stg_shopify__customers": (
            "staging",
            [
                "identity/phone_numbers",
                "raw/shopify/customers",
            ],
        ),
        "staging/square/stg_square__customers": (
            "staging",
            [
                "identity/phone_numbers",
                "raw/square/customers",
            ],
        ),
        "staging/shopify/stg_shopify__products": ("staging", ["raw/shopify/products"]),
        "staging/meta_ads/stg_meta_ads__campaigns": ("staging", ["raw/meta_ads/campaigns"]),
        "marts/customers/identity_links": (
            "customers",
            [
                "intermediate/identity/int_identity__assignments",
                "intermediate/identity/int_identity__excluded_identifiers",
                "intermediate/identity/int_identity__identifiers",
                "intermediate/identity/int_identity__source_records",
            ],
        ),
        "staging/shopify/stg_shopify__order_lines": ("staging", ["raw/shopify/orders"]),
        "intermediate/identity/int_identity__identifiers": (
            "identity",
            [
                "identity/phone_numbers",
                "intermediate/identity/int_identity__excluded_identifiers",
                "intermediate/identity/int_identity__source_records",
                "staging/square/stg_square__loyalty_accounts",
            ],
        ),
        "marts/customers/customer_merges": (
            "customers",
            ["intermediate/identity/int_identity__assignments"],
        ),
        "intermediate/customers/int_customers__category_affinity": (
            "customers",
            [
                "intermediate/customers/int_customers__orders",
                "staging/shopify/stg_shopify__order_lines",
                "staging/shopify/stg_shopify__product_variants",
                "staging/shopify/stg_shopify__products",
                "staging/square/stg_square__order_lines",
            ],
        ),
        "raw/zendesk/tickets": ("raw_zendesk", []),
        "raw/meta_ads/insights": ("raw_meta_ads", []),
        "raw/shopify/checkouts": ("raw_shopify", []),
        "raw/zendesk/satisfaction_ratings": ("raw_zendesk", []),
        "staging/shopify/stg_shopify__product_variants": ("staging", ["raw/shopify/products"]),
        "staging/meta_ads/stg_meta_ads__leads": (
            "staging",
            [
                "identity/phone_numbers",
                "raw/meta_ads/leads",
            ],
        ),
        # journey analytics
        "staging/square/stg_square__order_returns": ("staging", ["raw/square/orders"]),
        "intermediate/analytics/int_analytics__engagements": (
            "analytics",
            ["marts/customers/customer_events"],
        ),
        "intermediate/analytics/int_analytics__purchases": (
            "analytics",
            ["intermediate/customers/int_customers__orders"],
        ),
        "intermediate/analytics/int_analytics__touchpoints": (
            "analytics",
            [
                "marts/customers/customer_events",
                "staging/shopify/stg_shopify__checkouts",
                "staging/shopify/stg_shopify__orders",
            ],
        ),
        "intermediate/analytics/int_analytics__customer_profile": (
            "analytics",
            ["intermediate/analytics/int_analytics__engagements", "marts/customers/customers"],
        ),
        "intermediate/analytics/int_analytics__journeys": (
            "analytics",
            ["intermediate/analytics/int_analytics__purchases", "marts/customers/customer_events"],
        ),
        "marts/analytics/cross_channel_engagement_monthly": (
            "analytics",
            ["intermediate/analytics/int_analytics__engagements"],
        ),
        "marts/analytics/customer_value_by_channel_count": (
            "analytics",
            ["intermediate/analytics/int_analytics__customer_profile"],
        ),
        "marts/analytics/retention_cohorts": (
            "analytics",
            [
                "intermediate/analytics/int_analytics__customer_profile",
                "intermediate/analytics/int_analytics__purchases",
            ],
        ),
        "marts/analytics/journey_completion": (
            "analytics",
            ["intermediate/analytics/int_analytics__journeys"],
        ),
        "marts/analytics/order_attribution": (
            "analytics",
            [
                "intermediate/analytics/int_analytics__purchases",
                "intermediate/analytics/int_analytics__touchpoints",
            ],
        ),
        "marts/analytics/purchase_paths": ("analytics", ["marts/analytics/order_attribution"]),
        "marts/analytics/csat_by_segment": (
            "analytics",
            [
                "intermediate/analytics/int_analytics__customer_profile",
                "marts/customers/customer_events",
            ],
        ),
        "reports/marketing_report": (
            "reports",
            [
                "marts/analytics/cross_channel_engagement_monthly",
                "marts/analytics/csat_by_segment",
                "marts/analytics/customer_value_by_channel_count",
                "marts/analytics/journey_completion",
                "marts/analytics/order_attribution",
                "marts/analytics/purchase_paths",
                "marts/analytics/retention_cohorts",
            ],
        ),
    }


def test_dbt_tests_are_blocking_checks_unless_severity_warn() -> None:
    import json

    from orchestration.defs.dbt.project import dbt_project

    manifest = json.loads(dbt_project.manifest_path.read_text())
    warn_only = {
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test" and node["config"].get("severity") == "warn"
    }
    graph = defs.resolve_asset_graph()
    checks = list(graph.asset_check_keys)
    assert checks and warn_only
    for check in checks:
        assert graph.get_check_spec(check).blocking == (check.name not in warn_only), check


def test_daily_job_selects_everything() -> None:
    job = defs.resolve_job_def("daily")
    assert len(job.asset_layer.selected_asset_keys) == len(_graph())
