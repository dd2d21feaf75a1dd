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
        "raw/shopify/customers": ("raw_shopify", []),
        "raw/shopify/orders": ("raw_shopify", []),
        "raw/shopify/checkouts": ("raw_shopify", []),
        "raw/shopify/products": ("raw_shopify", []),
        "raw/klaviyo/profiles": ("raw_klaviyo", []),
        "raw/klaviyo/events": ("raw_klaviyo", []),
        "raw/klaviyo/lists": ("raw_klaviyo", []),
        "raw/klaviyo/metrics": ("raw_klaviyo", []),
        "raw/meta_ads/campaigns": ("raw_meta_ads", []),
        "raw/meta_ads/insights": ("raw_meta_ads", []),
        "raw/meta_ads/leads": ("raw_meta_ads", []),
        "raw/square/customers": ("raw_square", []),
        "raw/square/orders": ("raw_square", []),
        "raw/square/loyalty_accounts": ("raw_square", []),
        "raw/zendesk/users": ("raw_zendesk", []),
        "raw/zendesk/tickets": ("raw_zendesk", []),
        "raw/zendesk/satisfaction_ratings": ("raw_zendesk", []),
        "staging/shopify/stg_shopify__customers": ("staging", ["raw/shopify/customers"]),
        "marts/audiences/shopify_returning_customers": (
            "audiences",
            ["staging/shopify/stg_shopify__customers"],
        ),
        "syncs/shopify/shopify_returning_customers": (
            "syncs",
            ["marts/audiences/shopify_returning_customers"],
        ),
    }


def test_dbt_tests_are_blocking_checks() -> None:
    graph = defs.resolve_asset_graph()
    checks = list(graph.asset_check_keys)
    assert checks
    assert all(graph.get_check_spec(c).blocking for c in checks)


def test_daily_job_selects_everything() -> None:
    job = defs.resolve_job_def("daily")
    assert len(job.asset_layer.selected_asset_keys) == len(_graph())
