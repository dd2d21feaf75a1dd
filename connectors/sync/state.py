"""What each destination last confirmed, what is in flight, and the audit trail.

State holds a key, a checksum, the destination's ref and the person behind it
per synced row (not whole rows), and only for rows the destination confirmed.
Before a batch is sent its keys are written as *pending*; the batch's outcome
and the removal of its pending rows commit in one transaction. A crash leaves
at most one batch pending, and the next run checks it at the destination
before sending anything, so a rerun neither adds twice nor forgets a removal.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from connectors.sync.destination import Member
from warehouse import Warehouse
from warehouse.bulk import fetch_rows

SCHEMA = "omnihub_sync"
STATE = f"{SCHEMA}.state"
PENDING = f"{SCHEMA}.pending"
AUDIT = f"{SCHEMA}.audit"
REJECTIONS = f"{SCHEMA}.rejections"

_DDL = (
    f"create schema if not exists {SCHEMA}",
    f"create table if not exists {STATE} ("
    " sync_name varchar not null, key varchar not null, checksum varchar not null,"
    " destination_ref varchar, customer_id varchar, confirmed_at timestamp not null,"
    " primary key (sync_name, key))",
    f"alter table {STATE} add column if not exists customer_id varchar",
    f"create table if not exists {PENDING} ("
    " sync_name varchar not null, key varchar not null, operation varchar not null,"
    " sync_id varchar not null, recorded_at timestamp not null,"
    " primary key (sync_name, key))",
    f"create table if not exists {AUDIT} ("
    " sync_id varchar primary key, sync_name varchar not null, trigger varchar,"
    " dry_run boolean not null, started_at timestamp not null, finished_at timestamp,"
    " planned_adds integer, planned_removes integer, planned_updates integer,"
    " confirmed integer, rejected integer, skipped integer, api_calls integer,"
    " plan_sample varchar, error varchar)",
    f"alter table {AUDIT} add column if not exists details varchar",
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

    # -- reads ----------------------------------------------------------------
    def members(self, sync_name: str) -> dict[str, Member]:
        """key -> what the destination confirmed for it (checksum, ref, person)."""
        with self.warehouse.transaction() as conn:
            rows = fetch_rows(
                conn,
                self.warehouse.kind,
                f"select key, checksum, destination_ref, customer_id from {STATE} "
                "where sync_name = ?",
                (sync_name,),
            )
        return {row[0]: Member(*row) for row in rows}

    def pending(self, sync_name: str) -> dict[str, str]:
        """key -> operation of a batch sent by a run that did not live to record it."""
        with self.warehouse.transaction() as conn:
            rows = conn.execute(
                sa.text(f"select key, operation from {PENDING} where sync_name = :s"),
                {"s": sync_name},
            )
            return dict(rows.all())

    def sync_names(self, prefix: str) -> list[str]:
        """Every sync in state whose name starts with prefix (the parts of a split sync)."""
        with self.warehouse.transaction() as conn:
            return list(
                conn.execute(
                    sa.text(
                        f"select distinct sync_name from {STATE} where sync_name like :p "
                        f"union select distinct sync_name from {PENDING} where sync_name like :p"
                    ),
                    {"p": prefix.replace("%", r"\%") + "%"},
                ).scalars()
            )

    # -- writes ---------------------------------------------------------------
    def start(self, sync_id: str, sync_name: str, trigger: str, dry_run: bool) -> None:
        with self.warehouse.transaction() as conn:
            conn.execute(
                sa.text(
                    f"insert into {AUDIT} (sync_id, sync_name, trigger, dry_run, started_at) "
                    "values (:i, :n, :t, :d, :s)"
                ),
                {"i": sync_id, "n": sync_name, "t": trigger, "d": dry_run, "s": utcnow()},
            )

    def mark_pending(
        self, sync_id: str, sync_name: str, keys: Sequence[str], operation: str
    ) -> None:
        """Written (and committed) before the batch is sent."""
        now = utcnow()
        with self.warehouse.transaction() as conn:
            conn.execute(
                sa.text(f"delete from {PENDING} where sync_name = :s and key = :k"),
                [{"s": sync_name, "k": k} for k in keys],
            )
            conn.execute(
                sa.text(
                    f"insert into {PENDING} (sync_name, key, operation, sync_id, recorded_at) "
                    "values (:s, :k, :o, :i, :t)"
                ),
                [{"s": sync_name, "k": k, "o": operation, "i": sync_id, "t": now} for k in keys],
            )

    def commit_batch(
        self,
        sync_id: str,
        sync_name: str,
        confirmed: Iterable[tuple[str, str, str | None, str | None]],
        removed: Iterable[str],
        rejected: Iterable[tuple[str, str, str]],
        settled: Iterable[str] = (),
    ) -> None:
        """One transaction: confirmed upserts (key, checksum, ref, customer_id),
        confirmed removals, rejections (key, operation, reason), and the pending
        rows of the keys this batch settled."""
        now = utcnow()
        upserts = [
            {"s": sync_name, "k": k, "c": c, "r": r, "p": p, "t": now} for k, c, r, p in confirmed
        ]
        deletes = [{"s": sync_name, "k": k} for k in removed]
        rejects = [
            {"i": sync_id, "s": sync_name, "k": k, "o": op, "r": reason, "t": now}
            for k, op, reason in rejected
        ]
        done = [{"s": sync_name, "k": k} for k in settled]
        with self.warehouse.transaction() as conn:
            if upserts:
                conn.execute(
                    sa.text(
                        f"insert into {STATE} (sync_name, key, checksum, destination_ref, "
                        "customer_id, confirmed_at) values (:s, :k, :c, :r, :p, :t) "
                        "on conflict (sync_name, key) do update set checksum = excluded.checksum, "
                        "destination_ref = excluded.destination_ref, "
                        "customer_id = excluded.customer_id, confirmed_at = excluded.confirmed_at"
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
            if done:
                conn.execute(
                    sa.text(f"delete from {PENDING} where sync_name = :s and key = :k"), done
                )

    def forget(self, sync_name: str, keys: Iterable[str]) -> None:
        """Drop state rows the destination no longer has (drift found by a
        reconciliation): the next diff sends them again if they are wanted."""
        rows = [{"s": sync_name, "k": k} for k in keys]
        if rows:
            with self.warehouse.transaction() as conn:
                conn.execute(
                    sa.text(f"delete from {STATE} where sync_name = :s and key = :k"), rows
                )

    def replace_all(
        self, sync_name: str, confirmed: Iterable[tuple[str, str, str | None, str | None]]
    ) -> None:
        """After a full replace at the destination: state is exactly what it confirmed."""
        now = utcnow()
        rows = [
            {"s": sync_name, "k": k, "c": c, "r": r, "p": p, "t": now} for k, c, r, p in confirmed
        ]
        with self.warehouse.transaction() as conn:
            conn.execute(sa.text(f"delete from {STATE} where sync_name = :s"), {"s": sync_name})
            conn.execute(sa.text(f"delete from {PENDING} where sync_name = :s"), {"s": sync_name})
            if rows:
                conn.execute(
                    sa.text(
                        f"insert into {STATE} (sync_name, key, checksum, destination_ref, "
                        "customer_id, confirmed_at) values (:s, :k, :c, :r, :p, :t)"
                    ),
                    rows,
                )

    def finish(self, sync_id: str, counts: dict[str, Any], error: str | None) -> None:
        with self.warehouse.transaction() as conn:
            _finish(conn, sync_id, counts, error)


def _finish(conn: Connection, sync_id: str, counts: dict[str, Any], error: str | None) -> None:
    conn.execute(
        sa.text(
            f"update {AUDIT} set finished_at = :f, planned_adds = :pa, planned_removes = :pr, "
            "planned_updates = :pu, confirmed = :c, rejected = :r, skipped = :sk, "
            "api_calls = :calls, plan_sample = :sample, details = :details, error = :e "
            "where sync_id = :i"
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
            "details": json.dumps(counts.get("details") or {}, default=str, sort_keys=True),
            "e": error,
            "i": sync_id,
        },
    )
