"""The code location loads, and its asset graph is the reviewed one."""

from __future__ import annotations

import json
import os
from pathlib import Path

from dagster import AssetCheckKey

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


SNAPSHOT = Path(__file__).with_name("asset_graph.snapshot.json")


def test_asset_graph_snapshot() -> None:
    """A change to the graph shows up as a reviewable diff of the snapshot file.
    After an intended change, rewrite it:
    OMNIHUB_UPDATE_SNAPSHOT=1 .venv/bin/pytest tests/unit/test_definitions.py"""
    graph = {
        key: {"group": group, "parents": parents} for key, (group, parents) in _graph().items()
    }
    if os.environ.get("OMNIHUB_UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(dict(sorted(graph.items())), indent=1) + "\n")
    assert graph == json.loads(SNAPSHOT.read_text())


def test_dbt_tests_are_blocking_checks_unless_severity_warn() -> None:
    from orchestration.defs.dbt.project import dbt_project

    manifest = json.loads(dbt_project.manifest_path.read_text())
    warn_only = {
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test" and node["config"].get("severity") == "warn"
    }
    graph = defs.resolve_asset_graph()
    tests = {node["name"] for node in manifest["nodes"].values() if node["resource_type"] == "test"}
    checks = [c for c in graph.asset_check_keys if c.name in tests]
    assert checks and warn_only
    for check in checks:
        assert graph.get_check_spec(check).blocking == (check.name not in warn_only), check


def test_dbt_unit_tests_are_checks_on_their_models_run_by_their_own_job_only() -> None:
    """Each unit test of the manifest is a non-blocking check, named after it, on
    the asset dagster-dbt made of the model it tests; the `dbt_unit_tests` job
    runs them and materializes nothing; no job that builds models runs them."""
    from orchestration.defs.dbt.project import dbt_project

    manifest = json.loads(dbt_project.manifest_path.read_text())
    graph = defs.resolve_asset_graph()
    asset_of = {
        graph.get(key).metadata.get("dagster_dbt/unique_id"): key
        for key in graph.get_all_asset_keys()
    }
    unit_tests = {
        AssetCheckKey(asset_of[node["depends_on"]["nodes"][0]], node["name"]): node
        for node in manifest["unit_tests"].values()
    }
    assert len(unit_tests) == len(manifest["unit_tests"]) >= 70
    assert set(unit_tests) <= set(graph.asset_check_keys)
    for key, node in unit_tests.items():
        spec = graph.get_check_spec(key)
        assert not spec.blocking, key
        assert (node.get("description") or "").strip() in (spec.description or ""), key
        assert "after a build" in (spec.description or ""), key

    job = defs.resolve_job_def("dbt_unit_tests")
    assert set(job.asset_layer.asset_graph.asset_check_keys) == set(unit_tests)
    assert not job.asset_layer.selected_asset_keys
    for name in ("daily", "transform", "intraday_carts", "hourly_leads"):
        checks = set(defs.resolve_job_def(name).asset_layer.asset_graph.asset_check_keys)
        assert checks and not checks & set(unit_tests), name


def test_an_ingest_failure_blocks_nothing() -> None:
    """A platform that fails reports it on its own check; the day runs on."""
    graph = defs.resolve_asset_graph()
    ingest_checks = [c for c in graph.asset_check_keys if c.name == "ingest_completed"]
    assert len(ingest_checks) == 17
    assert not any(graph.get_check_spec(c).blocking for c in ingest_checks)


def test_jobs_and_schedules() -> None:
    names = {job.name for job in defs.resolve_all_job_defs()}
    assert {"daily", "ingest", "transform", "activate", "report", "intraday_carts"} <= names
    assert "dbt_unit_tests" in names
    carts = defs.resolve_job_def("intraday_carts").asset_layer.selected_asset_keys
    paths = {"/".join(k.path) for k in carts}
    assert "raw/shopify/checkouts" in paths and "marts/audiences/cart_abandoners" in paths
    assert "syncs/klaviyo/cart_abandoners" in paths and "marts/customers/customers" not in paths
    assert "raw/klaviyo/events" not in paths
    from orchestration.jobs import weekly_reconcile

    ops = weekly_reconcile.config["ops"]
    assert ops and all(op["config"] == {"reconcile": True} for op in ops.values())
    assert "syncs__zendesk__vip_customers" in ops
    schedules = {s.name: s for s in defs.schedules}
    assert schedules["daily_schedule"].cron_schedule == "0 5 * * *"
    assert schedules["daily_schedule"].job_name == "daily"


def test_daily_job_selects_everything_but_the_backfills() -> None:
    job = defs.resolve_job_def("daily")
    graph = _graph()
    backfills = {key for key in graph if key.startswith("backfill/")}
    assert backfills  # every month-partitioned backfill is left to a backfill over months
    selected = {key.to_user_string() for key in job.asset_layer.selected_asset_keys}
    assert selected == set(graph) - backfills


def test_single_writer_assets_are_in_pools() -> None:
    """A stream's ingest and a sync each take the pool of what they write (the
    instance admits one step per pool); nothing else is pooled."""
    pools = {
        node.name: node.definition.pool
        for node in defs.resolve_job_def("daily").graph.node_dict.values()
        if node.definition.pool
    }
    assert pools["raw__shopify__orders"] == "cursor/shopify/orders"
    assert pools["syncs__klaviyo__at_risk_customers"] == "sync/klaviyo/at_risk_customers"
    assert len(set(pools.values())) == len(pools)


def test_raw_streams_and_customers_carry_the_daily_freshness_policy() -> None:
    from orchestration import freshness

    graph = defs.resolve_asset_graph()
    watched = {
        k.to_user_string()
        for k in graph.get_all_asset_keys()
        if graph.get(k).freshness_policy == freshness.DAILY
    }
    assert "marts/customers/customers" in watched and "raw/klaviyo/events" in watched
    assert all(k.startswith("raw/") or k == "marts/customers/customers" for k in watched)
    assert len(watched) == 18
