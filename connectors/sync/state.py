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

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from connectors.sync.destination import Member
from warehouse import Warehouse
from warehouse.bulk import fetch_rows, gc_paused, temp_table

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
    # What a batch in doubt was sent for: a rerun that no longer wants its rows
    # (the people left, or were erased) still has to find them at the destination.
    f"alter table {PENDING} add column if not exists destination_ref varchar",
    f"alter table {PENDING} add column if not exists customer_id varchar",
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


def _strings(values: Sequence[str | None]) -> pa.Array:
    return pa.array(values, pa.string())


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
        with gc_paused(), self.warehouse.transaction() as conn:
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

    def pending_members(self, sync_name: str) -> dict[str, Member]:
        """key -> the ref and person a pending row was sent for (checksum empty:
        nothing was confirmed), as far as they were known before the write."""
        with self.warehouse.transaction() as conn:
            rows = fetch_rows(
                conn,
                self.warehouse.kind,
                f"select key, '', destination_ref, customer_id from {PENDING} where sync_name = ?",
                (sync_name,),
            )
        return {row[0]: Member(*row) for row in rows}

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
        self,
        sync_id: str,
        sync_name: str,
        keys: Sequence[str],
        operation: str,
        refs: Sequence[str | None] | None = None,
        people: Sequence[str | None] | None = None,
    ) -> None:
        """Written (and committed) before the batch is sent, with each row's ref
        and person where known (key order)."""
        now = utcnow()
        kind = self.warehouse.kind
        blank = [None] * len(keys)
        with self.warehouse.transaction() as conn:
            batch = temp_table(
                conn,
                kind,
                "omnihub_batch_keys",
                {
                    "key": _strings(keys),
                    "destination_ref": _strings(list(refs) if refs is not None else blank),
                    "customer_id": _strings(list(people) if people is not None else blank),
                },
            )
            conn.execute(
                sa.text(
                    f"delete from {PENDING} where sync_name = :s "
                    f"and key in (select key from {batch})"
                ),
                {"s": sync_name},
            )
            conn.execute(
                sa.text(
                    f"insert into {PENDING} (sync_name, key, operation, sync_id, recorded_at, "
                    "destination_ref, customer_id) "
                    f"select :s, key, :o, :i, :t, destination_ref, customer_id from {batch}"
                ),
                {"s": sync_name, "o": operation, "i": sync_id, "t": now},
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
        rows of the keys this batch settled. Set-based: a 10,000-row batch is a
        handful of statements, not 10,000."""
        now = utcnow()
        kind = self.warehouse.kind
        confirmed, removed, rejected, settled = (
            list(confirmed),
            list(removed),
            list(rejected),
            list(settled),
        )
        params = {"s": sync_name, "i": sync_id, "t": now}
        with self.warehouse.transaction() as conn:
            if confirmed:
                keys, sums, refs, people = (list(c) for c in zip(*confirmed, strict=True))
                upserts = temp_table(
                    conn,
                    kind,
                    "omnihub_batch_confirmed",
                    {
                        "key": _strings(keys),
                        "checksum": _strings(sums),
                        "destination_ref": _strings(refs),
                        "customer_id": _strings(people),
                    },
                )
                conn.execute(
                    sa.text(
                        f"delete from {STATE} where sync_name = :s "
                        f"and key in (select key from {upserts})"
                    ),
                    params,
                )
                conn.execute(
                    sa.text(
                        f"insert into {STATE} (sync_name, key, checksum, destination_ref, "
                        "customer_id, confirmed_at) "
                        f"select :s, key, checksum, destination_ref, customer_id, :t from {upserts}"
                    ),
                    params,
                )
            for keys, table in ((removed, STATE), (settled, PENDING)):
                if keys:
                    batch = temp_table(conn, kind, "omnihub_batch_keys", {"key": _strings(keys)})
                    conn.execute(
                        sa.text(
                            f"delete from {table} where sync_name = :s "
                            f"and key in (select key from {batch})"
                        ),
                        params,
                    )
            if rejected:
                keys, operations, reasons = (list(c) for c in zip(*rejected, strict=True))
                rejects = temp_table(
                    conn,
                    kind,
                    "omnihub_batch_rejected",
                    {
                        "key": _strings(keys),
                        "operation": _strings(operations),
                        "reason": _strings(reasons),
                    },
                )
                conn.execute(
                    sa.text(
                        f"insert into {REJECTIONS} (sync_id, sync_name, key, operation, reason, "
                        f"rejected_at) select :i, :s, key, operation, reason, :t from {rejects}"
                    ),
                    params,
                )

    def forget(self, sync_name: str, keys: Iterable[str]) -> None:
        """Drop state rows the destination no longer has (drift found by a
        reconciliation): the next diff sends them again if they are wanted."""
        self.commit_batch("", sync_name, [], keys, [])

    def replace_all(
        self, sync_name: str, confirmed: Iterable[tuple[str, str, str | None, str | None]]
    ) -> None:
        """After a full replace at the destination: state is exactly what it confirmed.
        (The engine calls this once, after the destination confirmed the whole set.)"""
        with self.warehouse.transaction() as conn:
            conn.execute(sa.text(f"delete from {STATE} where sync_name = :s"), {"s": sync_name})
            conn.execute(sa.text(f"delete from {PENDING} where sync_name = :s"), {"s": sync_name})
        self.commit_batch("", sync_name, confirmed, [], [])

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
