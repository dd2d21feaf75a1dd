"""The raw assets as Dagster runs them: clear failure when a platform is not configured,
metadata when it is."""

from __future__ import annotations

from pathlib import Path

import pytest
import responses
import sqlalchemy as sa
from dagster import materialize

from orchestration.defs.ingest.shopify import defs as shopify_defs
from orchestration.resources import WarehouseResource
from warehouse import Warehouse

SHOP = "https://omnihub-test.myshopify.com"


def _customers_asset():
    return next(a for a in shopify_defs.assets if "customers" in a.key.path)


def test_unconfigured_platform_is_reported_and_stops_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMNIHUB_DUCKDB_PATH", str(tmp_path / "w.duckdb"))
    monkeypatch.delenv("OMNIHUB_ALERT_WEBHOOK_URL", raising=False)
    for var in ("SHOPIFY_SHOP_URL", "SHOPIFY_ACCESS_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    result = materialize([_customers_asset()], resources={"warehouse": WarehouseResource()})
    # the step succeeds (downstream runs on what is there); the check says why it is stale
    [check] = result.get_asset_check_evaluations()
    assert not check.passed and check.severity.value == "WARN"
    assert "Shopify is not configured: set SHOPIFY_SHOP_URL, SHOPIFY_ACCESS_TOKEN" in (
        check.description or ""
    )
    [mat] = result.asset_materializations_for_node(_customers_asset().op.name)
    assert mat.metadata["status"].value == "incomplete"
    with Warehouse.from_env().transaction() as conn:
        kind, subject, message = conn.execute(
            sa.text("select kind, subject, message from ops.alerts")
        ).one()
    assert (kind, subject) == ("ingest_failure", "raw/shopify/customers")
    assert "SHOPIFY_ACCESS_TOKEN" in message


@responses.activate
def test_materialization_reports_what_it_did(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMNIHUB_DUCKDB_PATH", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("SHOPIFY_SHOP_URL", SHOP)
    monkeypatch.setenv("SHOPIFY_ACCESS_TOKEN", "shpat_secret_value")
    responses.get(
        f"{SHOP}/admin/api/2025-01/customers.json",
        json={"customers": [{"id": 1, "updated_at": "2026-05-01T10:00:00Z"}, {"email": "x"}]},
    )
    result = materialize([_customers_asset()], resources={"warehouse": WarehouseResource()})
    [mat] = result.asset_materializations_for_node(_customers_asset().op.name)
    meta = {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
    assert (meta["rows_landed"], meta["pages"], meta["quarantined"]) == (1, 1, 1)
    assert meta["cursor_after"] == {"updated_at_min": "2026-05-01T09:55:00Z"}
    assert "shpat_secret_value" not in repr(meta)
