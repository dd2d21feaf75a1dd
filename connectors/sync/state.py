"""What each destination last confirmed, and the audit trail of every sync.

State holds a key and a checksum per synced row (not whole rows), and only for
rows the destination confirmed. It is written per batch in one transaction,
so a crash between batches resumes without re-adding confirmed rows or
forgetting removals that did not happen yet.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from connectors.sync.destination import Member
from warehouse import Warehouse

SCHEMA = "omnihub_sync"
STATE = f"{SCHEMA}.state"
AUDIT = f"{SCHEMA}.audit"
REJECTIONS = f"{SCHEMA}.rejections"

_DDL = (
    f"create schema if not exists {SCHEMA}",
    f"create table if not exists {STATE} ("
    " sync_name varchar not null, key varchar not null, checksum varchar not null,"
    " destination_ref varchar, confirmed_at timestamp not null,"
    " primary key (sync_name, key))",
    f"create table if not exists {AUDIT} ("
    " sync_id varchar primary key, sync_name varchar not null, trigger varchar,"
    " dry_run boolean not null, started_at timestamp not null, finished_at timestamp,"
    " planned_adds integer, planned_removes integer, planned_updates integer,"
    " confirmed integer, rejected integer, skipped integer, api_calls integer,"
    " plan_sample varchar, error varchar)",
    f"create table if not exists {REJECTIONS} ("
    " sync_id varchar not null, sync_name varchar not null, key varchar not null,"
    " operation varchar not null, reason varchar, rejected_at timestamp not null)",
)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class SyncState:
    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        with warehouse.transaction() as conn:
            for statement in _DDL:
                conn.execute(sa.text(statement))

    def members(self, sync_name: str) -> dict[str, Member]:
        """key -> what the destination confirmed for it (checksum, its ref)."""
        with self.warehouse.transaction() as conn:
            rows = conn.execute(
                sa.text(f"select key, checksum, destination_ref from {STATE} where sync_name = :s"),
                {"s": sync_name},
            )
            return {key: Member(key, checksum, ref) for key, checksum, ref in rows}

    def start(self, sync_id: str, sync_name: str, trigger: str, dry_run: bool) -> None:
        with self.warehouse.transaction() as conn:
            conn.execute(
                sa.text(
                    f"insert into {AUDIT} (sync_id, sync_name, trigger, dry_run, started_at) "
                    "values (:i, :n, :t, :d, :s)"
                ),
                {"i": sync_id, "n": sync_name, "t": trigger, "d": dry_run, "s": utcnow()},
            )

    def commit_batch(
        self,
        sync_id: str,
        sync_name: str,
        confirmed: Iterable[tuple[str, str, str | None]],
        removed: Iterable[str],
        rejected: Iterable[tuple[str, str, str]],
    ) -> None:
        """One transaction: confirmed upserts (key, checksum, ref), confirmed removals,
        and rejections (key, operation, reason)."""
        now = utcnow()
        upserts = [{"s": sync_name, "k": k, "c": c, "r": r, "t": now} for k, c, r in confirmed]
        deletes = [{"s": sync_name, "k": k} for k in removed]
        rejects = [
            {"i": sync_id, "s": sync_name, "k": k, "o": op, "r": reason, "t": now}
            for k, op, reason in rejected
        ]
        with self.warehouse.transaction() as conn:
            if upserts:
                conn.execute(
                    sa.text(
                        f"insert into {STATE} (sync_name, key, checksum, destination_ref, "
                        "confirmed_at) values (:s, :k, :c, :r, :t) on conflict (sync_name, key) "
                        "do update set checksum = excluded.checksum, "
                        "destination_ref = excluded.destination_ref, "
                        "confirmed_at = excluded.confirmed_at"
                    ),
                    upserts,
                )
            if deletes:
                conn.execute(
                    sa.text(f"delete from {STATE} where sync_name = :s and key = :k"), deletes
                )
            if rejects:
                conn.execute(
                    sa.text(
                        f"insert into {REJECTIONS} (sync_id, sync_name, key, operation, reason, "
                        "rejected_at) values (:i, :s, :k, :o, :r, :t)"
                    ),
                    rejects,
                )

    def finish(self, sync_id: str, counts: dict[str, Any], error: str | None) -> None:
        with self.warehouse.transaction() as conn:
            _finish(conn, sync_id, counts, error)


def _finish(conn: Connection, sync_id: str, counts: dict[str, Any], error: str | None) -> None:
    conn.execute(
        sa.text(
            f"update {AUDIT} set finished_at = :f, planned_adds = :pa, planned_removes = :pr, "
            "planned_updates = :pu, confirmed = :c, rejected = :r, skipped = :sk, "
            "api_calls = :calls, plan_sample = :sample, error = :e where sync_id = :i"
        ),
        {
            "f": utcnow(),
            "pa": counts["planned_adds"],
            "pr": counts["planned_removes"],
            "pu": counts["planned_updates"],
            "c": counts["confirmed"],
            "r": counts["rejected"],
            "sk": counts["skipped"],
            "calls": counts["api_calls"],
            "sample": json.dumps(counts["sample"], default=str),
            "e": error,
            "i": sync_id,
        },
    )
