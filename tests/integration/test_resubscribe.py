"""Re-subscription against the emulator: a suppressed profile's suppression is
lifted at Klaviyo (the world), the write is logged, the audit row is there, and
a bounced profile stays suppressed (Klaviyo lifts only user suppressions)."""

from __future__ import annotations

import sqlalchemy as sa

from connectors.klaviyo.destination import make_destination
from connectors.sync.engine import SyncSpec
from connectors.sync.resubscribe import RESUBSCRIPTIONS, resubscribe
from sandbox.api.base import save_record
from sandbox.server import EmulatorServer
from sandbox.store import WorldStore
from tests.integration.sync_world import write_calls
from tests.unit.test_resubscribe import _identity
from warehouse import Warehouse

SUPPRESS = SyncSpec("s", "klaviyo", "suppression", "x", "add_only", "customer_id", ("email",))


def _marketing(world: WorldStore, email: str) -> dict:
    (pid,) = world.conn.execute(
        "select id from records where platform = 'klaviyo' and stream = 'profiles' "
        "and lower(json_extract(payload, '$.attributes.email')) = ?",
        (email,),
    ).fetchone()
    attrs = world.get_record("klaviyo", "profiles", pid).payload["attributes"]
    return attrs["subscriptions"]["email"]["marketing"]


def test_suppressed_then_resubscribed(
    emulator: EmulatorServer, world: WorldStore, duckdb_warehouse: Warehouse
) -> None:
    _identity(duckdb_warehouse)
    emails = ["back.again@example.org", "bounced@example.org"]
    dest = make_destination(SUPPRESS, emulator.env())
    assert all(o.confirmed for o in dest.add([{"customer_id": e, "email": e} for e in emails]))
    assert _marketing(world, emails[0])["suppression"][0]["reason"] == "USER_SUPPRESSED"
    # the second one bounced as well: that suppression is Klaviyo's, not lifted
    (pid,) = world.conn.execute(
        "select id from records where platform = 'klaviyo' and stream = 'profiles' "
        "and json_extract(payload, '$.attributes.email') = ?",
        (emails[1],),
    ).fetchone()
    payload = world.get_record("klaviyo", "profiles", pid).payload
    payload["attributes"]["subscriptions"]["email"]["marketing"]["suppression"].append(
        {"reason": "HARD_BOUNCE", "timestamp": "2026-01-01T00:00:00+00:00"}
    )
    with world.transaction():
        save_record(world, "klaviyo", "profiles", pid, payload)

    done = resubscribe(
        duckdb_warehouse, emulator.env(), emails, reason="asked by mail", requested_by="ana"
    )

    assert (done.requested, done.completed, done.skipped) == (2, 1, 1)
    assert _marketing(world, emails[0])["suppression"] == []
    assert len(_marketing(world, emails[1])["suppression"]) == 2
    posts = [w for w in write_calls(emulator, "klaviyo") if "bulk-delete" in w["path"]]
    assert len(posts) == 1 and posts[0]["method"] == "POST"
    with duckdb_warehouse.transaction() as conn:
        audited = conn.execute(
            sa.text(f"select email, requested_by, reason, job_id from {RESUBSCRIPTIONS}")
        ).all()
        (trigger,) = conn.execute(
            sa.text(
                "select trigger from omnihub_sync.audit where sync_name = 'klaviyo__resubscribe'"
            )
        ).one()
    assert sorted(a[0] for a in audited) == sorted(emails)
    assert {a[1:3] for a in audited} == {("ana", "asked by mail")} and all(a[3] for a in audited)
    assert trigger == "resubscribe by ana"
