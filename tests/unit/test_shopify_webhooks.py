"""Shopify deletion webhooks: signature check, durable spool, landing as deletion markers."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from connectors.ingest import run_stream
from connectors.shopify.webhooks import Spool, SpoolDrain, receiver_app, sign
from warehouse import Landing, Warehouse

SECRET = "shpss_test_secret"


class _DrainOnly:
    """A stream that is only the deletion drain (the REST half is tested elsewhere)."""

    platform, name = "shopify", "customers"

    def __init__(self, spool: Spool) -> None:
        from connectors.http import HttpClient

        self.client = HttpClient(platform="shopify", base_url="http://unused")
        self._drain = SpoolDrain(spool)

    def pages(self, cursor):
        return self._drain.pages(cursor)


def _post(app, body: bytes, *, topic: str = "customers/redact", signature: str | None = None):
    status: list[str] = []
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "HTTP_X_SHOPIFY_TOPIC": topic,
        "HTTP_X_SHOPIFY_HMAC_SHA256": signature if signature is not None else sign(body, SECRET),
        "HTTP_X_SHOPIFY_WEBHOOK_ID": "wh-1",
        "HTTP_X_SHOPIFY_TRIGGERED_AT": "2026-11-20T10:00:00.000Z",
    }
    out = b"".join(app(environ, lambda s, h: status.append(s)))
    return status[0], out.decode()


def _redact(customer_id: int) -> bytes:
    return json.dumps(
        {
            "shop_id": 954889,
            "shop_domain": "shop.myshopify.com",
            "customer": {"id": customer_id, "email": "x@example.com", "phone": None},
            "orders_to_redact": [299938],
        }
    ).encode()


def test_unsigned_or_forged_delivery_is_refused_and_not_spooled(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    app = receiver_app(spool, SECRET)
    assert _post(app, _redact(1), signature="")[0].startswith("401")
    assert _post(app, _redact(1), signature=sign(_redact(2), SECRET))[0].startswith("401")
    assert not spool.path.exists()


def test_both_deletion_topics_are_spooled_others_ignored(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    app = receiver_app(spool, SECRET)
    assert _post(app, _redact(11))[0] == "200 OK"
    assert _post(app, json.dumps({"id": 12}).encode(), topic="customers/delete")[0] == "200 OK"
    assert _post(app, json.dumps({"id": 13}).encode(), topic="orders/create")[0] == "200 OK"
    assert _post(app, json.dumps({"customer": {}}).encode())[0].startswith("400")
    lines = [json.loads(line) for line in spool.path.read_text().splitlines()]
    assert [(d["topic"], d["webhook_id"]) for d in lines] == [
        ("customers/redact", "wh-1"),
        ("customers/delete", "wh-1"),
    ]


def test_drain_lands_deletion_markers_then_removes_the_segment(
    tmp_path: Path, duckdb_warehouse: Warehouse
) -> None:
    spool = Spool(tmp_path / "spool")
    app = receiver_app(spool, SECRET)
    _post(app, _redact(11))
    _post(app, json.dumps({"id": 12}).encode(), topic="customers/delete")
    landing = Landing(duckdb_warehouse)
    result = run_stream(_DrainOnly(spool), landing)
    assert (result.rows_landed, result.deleted) == (2, 2)
    with duckdb_warehouse.transaction() as conn:
        rows = conn.execute(
            sa.text("select id, deleted, updated_at from raw.shopify__customers order by id")
        ).all()
    assert [(r[0], r[1]) for r in rows] == [("11", True), ("12", True)]
    assert str(rows[0][2]).startswith("2026-11-20 10:00:00")
    assert list((tmp_path / "spool").glob("*.sealed")) == []
    assert run_stream(_DrainOnly(spool), landing).rows_landed == 0  # nothing twice


def test_a_failed_landing_keeps_the_segment_for_the_next_run(
    tmp_path: Path, duckdb_warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = Spool(tmp_path / "spool")
    _post(receiver_app(spool, SECRET), _redact(21))
    landing = Landing(duckdb_warehouse)

    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("warehouse went away")

    monkeypatch.setattr(landing, "land_page", broken)
    with pytest.raises(RuntimeError):
        run_stream(_DrainOnly(spool), landing)
    assert len(list((tmp_path / "spool").glob("*.sealed"))) == 1
    monkeypatch.undo()
    _post(receiver_app(spool, SECRET), _redact(22))  # arrives in between
    assert run_stream(_DrainOnly(spool), Landing(duckdb_warehouse)).rows_landed == 2
