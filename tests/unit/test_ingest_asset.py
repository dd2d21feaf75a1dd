"""The raw assets as Dagster runs them: clear failure when a platform is not configured,
metadata when it is."""

from __future__ import annotations

from pathlib import Path

import pytest
import responses
from dagster import materialize

from orchestration.defs.ingest.shopify import defs as shopify_defs
from orchestration.resources import WarehouseResource

SHOP = "https://omnihub-test.myshopify.com"


def _customers_asset():
    return next(a for a in shopify_defs.assets if "customers" in a.key.path)


def test_unconfigured_platform_fails_with_the_variables_to_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMNIHUB_DUCKDB_PATH", str(tmp_path / "w.duckdb"))
    for var in ("SHOPIFY_SHOP_URL", "SHOPIFY_ACCESS_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    result = materialize(
        [_customers_asset()], resources={"warehouse": WarehouseResource()}, raise_on_error=False
    )
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    message = str(failure.event_specific_data.error)
    assert "Shopify is not configured: set SHOPIFY_SHOP_URL, SHOPIFY_ACCESS_TOKEN" in message


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
