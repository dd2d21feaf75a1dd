"""Raw landing: append-only raw tables plus the cursor that says how far we got.

Each page of a stream lands in one transaction together with the cursor that
resumes after it, so a crash at any point leaves either the page and its
cursor, or neither: a rerun neither loses nor duplicates a page. Payloads are
stored whole (unknown fields included); records that fail validation go to
`raw._quarantine` with the reason instead of disappearing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warehouse.bulk import insert_columns
from warehouse.connection import Warehouse

RAW_SCHEMA = "raw"
CURSORS_TABLE = f"{RAW_SCHEMA}._cursors"
QUARANTINE_TABLE = f"{RAW_SCHEMA}._quarantine"


@dataclass(frozen=True)
class LandedRecord:
    """A record as it lands: its id, its change time, the payload (dict or JSON text)."""

    id: str
    updated_at: datetime | None
    payload: dict[str, Any] | str
    deleted: bool = False


@dataclass(frozen=True)
class QuarantinedRecord:
    reason: str
    raw_text: str
    record_id: str | None = None


def raw_table(platform: str, stream: str) -> str:
    for part in (platform, stream):
        if not part.replace("_", "").isalnum():
            raise ValueError(f"invalid platform/stream name: {part!r}")
    return f"{RAW_SCHEMA}.{platform}__{stream}"


def _utc_naive(value: datetime | None) -> datetime | None:
    """Raw timestamps are stored as naive UTC so DuckDB and PostgreSQL agree."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def payload_text(payload: dict[str, Any] | str) -> str:
    if isinstance(payload, str):
        orjson.loads(payload)  # text handed in whole must be JSON; ours below always is
        return payload
    # orjson: the payload is re-serialised for every landed record, the hottest
    # line of ingestion after the HTTP read itself.
    return orjson.dumps(payload, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


class Landing:
    """Writes pages of raw records and their cursors into the warehouse."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        self._ready: set[str] = set()

    # -- DDL --------------------------------------------------------------------
    def _json_type(self) -> str:
        return "JSON" if self.warehouse.kind == "duckdb" else "JSONB"

    def _ensure_base(self, conn: Connection) -> None:
        if "__base__" in self._ready:
            return
        conn.execute(sa.text(f"create schema if not exists {RAW_SCHEMA}"))
        conn.execute(
            sa.text(
                f"create table if not exists {CURSORS_TABLE} ("
                " platform varchar not null, stream varchar not null,"
                " cursor_value varchar, updated_at timestamp not null,"
                " primary key (platform, stream))"
            )
        )
        conn.execute(
            sa.text(
                f"create table if not exists {QUARANTINE_TABLE} ("
                " platform varchar not null, stream varchar not null, record_id varchar,"
                " reason varchar not null, raw_text varchar,"
                " _loaded_at timestamp not null, _batch_id varchar not null)"
            )
        )
        self._ready.add("__base__")

    def ensure_stream(self, conn: Connection, platform: str, stream: str) -> str:
        table = raw_table(platform, stream)
        self._ensure_base(conn)
        if table not in self._ready:
            conn.execute(
                sa.text(
                    f"create table if not exists {table} ("
                    " id varchar not null, updated_at timestamp, deleted boolean not null,"
                    f" payload {self._json_type()} not null,"
                    " _loaded_at timestamp not null, _batch_id varchar not null)"
                )
            )
            self._ready.add(table)
        return table

    # -- cursors ----------------------------------------------------------------
    def get_cursor(self, platform: str, stream: str) -> dict[str, Any] | None:
        with self.warehouse.transaction() as conn:
            self._ensure_base(conn)
            row = conn.execute(
                sa.text(
                    f"select cursor_value from {CURSORS_TABLE} where platform = :p and stream = :s"
                ),
                {"p": platform, "s": stream},
            ).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def reset_cursor(self, platform: str, stream: str) -> None:
        """Forget how far we got: the next run re-reads the stream from the start."""
        with self.warehouse.transaction() as conn:
            self._ensure_base(conn)
            conn.execute(
                sa.text(f"delete from {CURSORS_TABLE} where platform = :p and stream = :s"),
                {"p": platform, "s": stream},
            )

    def _put_cursor(
        self, conn: Connection, platform: str, stream: str, cursor: dict[str, Any], now: datetime
    ) -> None:
        conn.execute(
            sa.text(
                f"insert into {CURSORS_TABLE} (platform, stream, cursor_value, updated_at) "
                "values (:p, :s, :c, :t) on conflict (platform, stream) do update set "
                "cursor_value = excluded.cursor_value, updated_at = excluded.updated_at"
            ),
            {"p": platform, "s": stream, "c": json.dumps(cursor, sort_keys=True), "t": now},
        )

    # -- pages --------------------------------------------------------------------
    def land_page(
        self,
        platform: str,
        stream: str,
        records: Sequence[LandedRecord],
        quarantined: Sequence[QuarantinedRecord],
        cursor: dict[str, Any] | None,
        batch_id: str,
        *,
        cursor_stream: str | None = None,
    ) -> int:
        """Append one page and move the cursor, atomically. Returns rows landed.
        `cursor_stream` names the cursor when it is not the stream's own (a
        backfill window's, `orders@<start>..<end>`); the rows land in the stream's table."""
        now = datetime.now(UTC).replace(tzinfo=None)
        with self.warehouse.transaction() as conn:
            table = self.ensure_stream(conn, platform, stream)
            if records:
                self._append(conn, table, records, now, batch_id)
            if quarantined:
                conn.execute(
                    sa.text(
                        f"insert into {QUARANTINE_TABLE} (platform, stream, record_id, reason,"
                        " raw_text, _loaded_at, _batch_id) values (:p, :s, :i, :r, :t, :l, :b)"
                    ),
                    [
                        {
                            "p": platform,
                            "s": stream,
                            "i": q.record_id,
                            "r": q.reason,
                            "t": q.raw_text,
                            "l": now,
                            "b": batch_id,
                        }
                        for q in quarantined
                    ],
                )
            if cursor is not None:
                self._put_cursor(conn, platform, cursor_stream or stream, cursor, now)
        return len(records)

    def _append(
        self,
        conn: Connection,
        table: str,
        records: Sequence[LandedRecord],
        now: datetime,
        batch_id: str,
    ) -> None:
        ids = [str(r.id) for r in records]
        updated = [_utc_naive(r.updated_at) for r in records]
        deleted = [bool(r.deleted) for r in records]
        payloads = [payload_text(r.payload) for r in records]
        n = len(records)
        insert_columns(
            conn,
            self.warehouse.kind,
            table,
            {
                "id": pa.array(ids, pa.string()),
                "updated_at": pa.array(updated, pa.timestamp("us")),
                "deleted": pa.array(deleted, pa.bool_()),
                # Arrow's JSON extension type: DuckDB takes it as JSON without
                # re-parsing every payload (a varchar -> JSON cast was 2/3 of the
                # landing time); payload_text guarantees it is JSON.
                "payload": pa.array(payloads, pa.json_()),
                "_loaded_at": pa.array([now] * n, pa.timestamp("us")),
                "_batch_id": pa.array([batch_id] * n, pa.string()),
            },
        )
