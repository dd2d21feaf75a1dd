"""The sandbox world's storage: one SQLite file the emulator serves, one for ground truth.

SQLite because the emulator must page through millions of records by
(updated_at, id) or by change sequence without holding them in memory, and
tests in other processes must be able to read back what was pushed. The schema
is documented in docs/internals.md; this module is the only code that knows it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

WORLD_DB = "world.sqlite"
TRUTH_DB = "truth.sqlite"
TS_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

_WORLD_SCHEMA = """
create table if not exists meta (key text primary key, value text);
create table if not exists records (
    platform text not null,
    stream text not null,
    id text not null,
    created_at text not null,
    updated_at text not null,
    seq integer not null,
    deleted integer not null default 0,
    payload text not null,
    primary key (platform, stream, id)
);
create index if not exists records_by_updated on records (platform, stream, updated_at, id);
create index if not exists records_by_seq on records (platform, stream, seq);
-- the world's change sequence (next_seq: max(seq) + 1) read from this index's
-- last entry; without it every write scanned every record (0.4 s a write at 1M people)
create index if not exists records_by_change_seq on records (seq);
create index if not exists records_by_created on records (platform, stream, created_at, id);
-- Shopify pages in id order (keyset on the numeric id): without this each page
-- would scan and sort the whole stream.
create index if not exists records_by_numeric_id on records (platform, stream, cast(id as integer));
-- Klaviyo finds the profile an import names by email, phone or external id, as
-- its own index does: without these every import scans every profile.
create index if not exists klaviyo_profiles_by_email on records
    (lower(trim(json_extract(payload, '$.attributes.email'))))
    where platform = 'klaviyo' and stream = 'profiles';
create index if not exists klaviyo_profiles_by_phone_number on records
    (lower(trim(json_extract(payload, '$.attributes.phone_number'))))
    where platform = 'klaviyo' and stream = 'profiles';
create index if not exists klaviyo_profiles_by_external_id on records
    (lower(trim(json_extract(payload, '$.attributes.external_id'))))
    where platform = 'klaviyo' and stream = 'profiles';
create table if not exists writes (
    write_id integer primary key autoincrement,
    at text not null,
    platform text not null,
    method text not null,
    path text not null,
    target text,
    body text,
    status integer not null
);
create table if not exists audiences (
    platform text not null,
    id text not null,
    account_id text,
    name text not null,
    created_at text not null,
    updated_at text not null,
    payload text not null,
    primary key (platform, id)
);
create table if not exists audience_members (
    platform text not null,
    audience_id text not null,
    member_type text not null,
    member_key text not null,
    added_at text not null,
    primary key (platform, audience_id, member_type, member_key)
);
-- Meta value-based audiences: the LOOKALIKE_VALUE each member was uploaded with.
create table if not exists audience_member_values (
    platform text not null,
    audience_id text not null,
    member_type text not null,
    member_key text not null,
    value real not null,
    primary key (platform, audience_id, member_type, member_key)
);
-- Meta usersreplace: a session's batches wait here until its last batch swaps
-- them into audience_members in one transaction.
create table if not exists audience_replace_sessions (
    platform text not null,
    audience_id text not null,
    session_id text not null,
    last_seq integer not null,
    finished integer not null default 0,
    updated_at text not null,
    primary key (platform, audience_id, session_id)
);
create table if not exists audience_replace_staging (
    platform text not null,
    audience_id text not null,
    session_id text not null,
    member_type text not null,
    member_key text not null,
    primary key (platform, audience_id, session_id, member_type, member_key)
);
"""

_TRUTH_SCHEMA = """
create table if not exists record_person (
    platform text not null,
    stream text not null,
    id text not null,
    person_id integer not null,
    primary key (platform, stream, id)
);
create index if not exists record_person_by_person on record_person (person_id);
create table if not exists orders (
    platform text not null,
    id text not null,
    person_id integer not null,
    channel text not null,
    ordered_at text not null,
    net_cents integer not null,
    arrival text,
    primary key (platform, id)
);
"""


def format_ts(value: datetime) -> str:
    """Normalized UTC timestamp used in the records table (sortable as text)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime(TS_FORMAT)


def parse_ts(value: str) -> datetime:
    return datetime.strptime(value, TS_FORMAT).replace(tzinfo=UTC)


@dataclass(frozen=True)
class Record:
    platform: str
    stream: str
    id: str
    created_at: str
    updated_at: str
    payload: dict[str, Any]
    deleted: bool = False


def _connect(path: Path) -> sqlite3.Connection:
    # check_same_thread=False: the emulator hands one connection per thread, but
    # tests may open and close from fixtures on another thread.
    conn = sqlite3.connect(path, timeout=60, check_same_thread=False, isolation_level=None)
    conn.execute("pragma journal_mode=wal")
    conn.execute("pragma synchronous=normal")
    conn.execute("pragma busy_timeout=60000")
    return conn


class WorldStore:
    """Read/write access to one world's world.sqlite (thread: one store per thread)."""

    def __init__(self, world_dir: str | Path, *, create: bool = False) -> None:
        self.world_dir = Path(world_dir)
        path = self.world_dir / WORLD_DB
        if not create and not path.exists():
            raise FileNotFoundError(
                f"No sandbox world at {self.world_dir}: generate one with "
                f"`python -m sandbox generate --out {self.world_dir}`"
            )
        self.world_dir.mkdir(parents=True, exist_ok=True)
        self.conn = _connect(path)
        # Idempotent: also brings worlds written before a table was added up to date.
        self.conn.executescript(_WORLD_SCHEMA)
        columns = {row[1] for row in self.conn.execute("pragma table_info(writes)")}
        if "error" not in columns:  # worlds written before writes recorded in-band refusals
            self.conn.execute("alter table writes add column error text")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> WorldStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("begin immediate")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("rollback")
            raise
        else:
            self.conn.execute("commit")

    # -- meta -------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("select value from meta where key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: Any) -> None:
        self.conn.execute(
            "insert into meta (key, value) values (?, ?) "
            "on conflict (key) do update set value = excluded.value",
            (key, str(value)),
        )

    def now(self) -> str:
        value = self.get_meta("now")
        if value is None:
            raise RuntimeError("world has no clock (meta 'now'); was it generated?")
        return value

    def next_seq(self) -> int:
        row = self.conn.execute("select coalesce(max(seq), 0) + 1 from records").fetchone()
        return int(row[0])

    # -- records ----------------------------------------------------------
    def put_records(self, records: Iterable[Record], *, start_seq: int | None = None) -> int:
        """Insert or replace records, giving each a new change sequence. Returns next seq."""
        seq = self.next_seq() if start_seq is None else start_seq
        rows = []
        for r in records:
            rows.append(
                (
                    r.platform,
                    r.stream,
                    r.id,
                    r.created_at,
                    r.updated_at,
                    seq,
                    int(r.deleted),
                    json.dumps(r.payload, separators=(",", ":")),
                )
            )
            seq += 1
        self.conn.executemany(
            "insert into records "
            "(platform, stream, id, created_at, updated_at, seq, deleted, payload) "
            "values (?, ?, ?, ?, ?, ?, ?, ?) "
            "on conflict (platform, stream, id) do update set "
            "updated_at = excluded.updated_at, seq = excluded.seq, "
            "deleted = excluded.deleted, payload = excluded.payload",
            rows,
        )
        return seq

    def get_record(self, platform: str, stream: str, id: str) -> Record | None:
        row = self.conn.execute(
            "select created_at, updated_at, deleted, payload from records "
            "where platform = ? and stream = ? and id = ?",
            (platform, stream, id),
        ).fetchone()
        if row is None:
            return None
        return Record(platform, stream, id, row[0], row[1], json.loads(row[3]), bool(row[2]))

    def count(self, platform: str, stream: str, *, include_deleted: bool = False) -> int:
        sql = "select count(*) from records where platform = ? and stream = ?"
        if not include_deleted:
            sql += " and deleted = 0"
        return int(self.conn.execute(sql, (platform, stream)).fetchone()[0])

    # -- writes log -------------------------------------------------------
    def log_write(
        self,
        platform: str,
        method: str,
        path: str,
        target: str | None,
        body: Any,
        status: int,
        error: str | None = None,
    ) -> None:
        """One write as the emulator answered it; `error` is the vendor's code
        when a 2xx answer refused it (Shopify GraphQL THROTTLED), else None."""
        self.conn.execute(
            "insert into writes (at, platform, method, path, target, body, status, error) "
            "values (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self.now(),
                platform,
                method,
                path,
                target,
                body if isinstance(body, str) or body is None else json.dumps(body),
                status,
                error,
            ),
        )

    def reset_writes(self) -> None:
        self.conn.execute("delete from writes")

    def writes(self, platform: str | None = None) -> list[dict[str, Any]]:
        sql = "select write_id, at, platform, method, path, target, body, status, error from writes"
        params: tuple[Any, ...] = ()
        if platform:
            sql += " where platform = ?"
            params = (platform,)
        cols = ["write_id", "at", "platform", "method", "path", "target", "body", "status", "error"]
        return [
            dict(zip(cols, row, strict=True))
            for row in self.conn.execute(sql + " order by write_id", params)
        ]

    # -- audiences the platforms hold (Meta custom audiences, Klaviyo list members) --
    def put_audience(
        self,
        platform: str,
        id: str,
        *,
        name: str,
        payload: dict[str, Any],
        account_id: str | None = None,
        created_at: str | None = None,
    ) -> None:
        """Create or replace an audience container (e.g. a Meta custom audience)."""
        now = self.now()
        self.conn.execute(
            "insert into audiences "
            "(platform, id, account_id, name, created_at, updated_at, payload) "
            "values (?, ?, ?, ?, ?, ?, ?) on conflict (platform, id) do update set "
            "name = excluded.name, updated_at = excluded.updated_at, payload = excluded.payload",
            (platform, id, account_id, name, created_at or now, now, json.dumps(payload)),
        )

    def get_audience(self, platform: str, id: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            "select account_id, name, created_at, updated_at, payload from audiences "
            "where platform = ? and id = ?",
            (platform, id),
        ).fetchone()
        if row is None:
            return None
        return {
            "id": id,
            "account_id": row[0],
            "name": row[1],
            "created_at": row[2],
            "updated_at": row[3],
            "payload": json.loads(row[4]),
        }

    def count_audiences(self, platform: str) -> int:
        row = self.conn.execute("select count(*) from audiences where platform = ?", (platform,))
        return int(row.fetchone()[0])

    def add_members(
        self, platform: str, audience_id: str, members: Iterable[tuple[str, str]]
    ) -> int:
        """Add (member_type, member_key) pairs; re-adding is a no-op. Returns how many were new."""
        before = self.conn.total_changes
        self.conn.executemany(
            "insert or ignore into audience_members "
            "(platform, audience_id, member_type, member_key, added_at) values (?, ?, ?, ?, ?)",
            [(platform, audience_id, t, k, self.now()) for t, k in members],
        )
        return self.conn.total_changes - before

    def remove_members(
        self, platform: str, audience_id: str, members: Iterable[tuple[str, str]]
    ) -> int:
        before = self.conn.total_changes
        pairs = [(platform, audience_id, t, k) for t, k in members]
        self.conn.executemany(
            "delete from audience_members "
            "where platform = ? and audience_id = ? and member_type = ? and member_key = ?",
            pairs,
        )
        removed = self.conn.total_changes - before
        self.conn.executemany(
            "delete from audience_member_values "
            "where platform = ? and audience_id = ? and member_type = ? and member_key = ?",
            pairs,
        )
        return removed

    def set_member_values(
        self, platform: str, audience_id: str, values: Iterable[tuple[str, str, float]]
    ) -> None:
        """The value each (member_type, member_key) was last uploaded with (Meta's
        LOOKALIKE_VALUE); a later upload of the same member replaces it."""
        self.conn.executemany(
            "insert into audience_member_values "
            "(platform, audience_id, member_type, member_key, value) values (?, ?, ?, ?, ?) "
            "on conflict (platform, audience_id, member_type, member_key) "
            "do update set value = excluded.value",
            [(platform, audience_id, t, k, float(v)) for t, k, v in values],
        )

    def member_values(self, platform: str, audience_id: str) -> dict[tuple[str, str], float]:
        """(member_type, member_key) -> value, for the audience's current members."""
        rows = self.conn.execute(
            "select v.member_type, v.member_key, v.value from audience_member_values as v "
            "join audience_members as m using (platform, audience_id, member_type, member_key) "
            "where v.platform = ? and v.audience_id = ?",
            (platform, audience_id),
        )
        return {(r[0], r[1]): float(r[2]) for r in rows}

    # -- replace sessions (Meta usersreplace) -----------------------------------
    def replace_session_next(self, platform: str, audience_id: str, session_id: str) -> int | None:
        """The batch_seq a replace session expects next (1 for a new one), None once ended."""
        row = self.conn.execute(
            "select last_seq, finished from audience_replace_sessions "
            "where platform = ? and audience_id = ? and session_id = ?",
            (platform, audience_id, session_id),
        ).fetchone()
        if row is None:
            return 1
        return None if row[1] else int(row[0]) + 1

    def stage_replace(
        self,
        platform: str,
        audience_id: str,
        session_id: str,
        seq: int,
        members: Iterable[tuple[str, str]],
    ) -> None:
        self.conn.execute(
            "insert into audience_replace_sessions "
            "(platform, audience_id, session_id, last_seq, updated_at) values (?, ?, ?, ?, ?) "
            "on conflict (platform, audience_id, session_id) do update set "
            "last_seq = excluded.last_seq, updated_at = excluded.updated_at",
            (platform, audience_id, session_id, seq, self.now()),
        )
        self.conn.executemany(
            "insert or ignore into audience_replace_staging "
            "(platform, audience_id, session_id, member_type, member_key) values (?, ?, ?, ?, ?)",
            [(platform, audience_id, session_id, t, k) for t, k in members],
        )

    def finish_replace(self, platform: str, audience_id: str, session_id: str) -> None:
        """The session's members become the audience's, exactly."""
        where = "platform = ? and audience_id = ?"
        self.conn.execute(f"delete from audience_members where {where}", (platform, audience_id))
        self.conn.execute(
            "insert into audience_members "
            "(platform, audience_id, member_type, member_key, added_at) "
            "select platform, audience_id, member_type, member_key, ? "
            f"from audience_replace_staging where {where} and session_id = ?",
            (self.now(), platform, audience_id, session_id),
        )
        self.conn.execute(
            f"delete from audience_replace_staging where {where} and session_id = ?",
            (platform, audience_id, session_id),
        )
        self.conn.execute(
            f"update audience_replace_sessions set finished = 1 where {where} and session_id = ?",
            (platform, audience_id, session_id),
        )

    def members(
        self, platform: str, audience_id: str, member_type: str | None = None
    ) -> list[tuple[str, str]]:
        sql = (
            "select member_type, member_key from audience_members "
            "where platform = ? and audience_id = ?"
        )
        params: tuple[Any, ...] = (platform, audience_id)
        if member_type is not None:
            sql += " and member_type = ?"
            params += (member_type,)
        rows = self.conn.execute(sql + " order by added_at, member_key", params)
        return [(r[0], r[1]) for r in rows]

    # -- what destinations hold, read back by tests ------------------------------
    def named(self, platform: str, stream: str, name: str) -> list[Record]:
        """Live records named `name` (payload `name`, or JSON:API `attributes.name`):
        Klaviyo lists, Square customer groups, Zendesk user fields (by `key`)."""
        rows = self.conn.execute(
            "select id from records where platform = ? and stream = ? and deleted = 0 and ? in "
            "(json_extract(payload, '$.name'), json_extract(payload, '$.attributes.name'), "
            "json_extract(payload, '$.key')) order by created_at, id",
            (platform, stream, name),
        ).fetchall()
        return [r for (rid,) in rows if (r := self.get_record(platform, stream, rid)) is not None]

    def audiences_named(self, platform: str, name: str) -> list[str]:
        """Ids of the audience containers called `name` (Meta custom audiences)."""
        rows = self.conn.execute(
            "select id from audiences where platform = ? and name = ? order by id", (platform, name)
        )
        return [r[0] for r in rows]

    def tagged(self, platform: str, stream: str, tag: str) -> list[str]:
        """Ids of live records whose `tags` hold `tag`, case-insensitively (Shopify
        keeps a comma-separated string, Zendesk an array)."""
        wanted = tag.strip().lower()
        out = []
        for rid, payload in self.conn.execute(
            "select id, payload from records where platform = ? and stream = ? and deleted = 0",
            (platform, stream),
        ):
            tags = json.loads(payload).get("tags") or []
            items = tags.split(",") if isinstance(tags, str) else tags
            if wanted in {str(t).strip().lower() for t in items}:
                out.append(rid)
        return sorted(out)

    def in_group(self, group_id: str) -> list[str]:
        """Square customers whose `group_ids` hold `group_id`."""
        rows = self.conn.execute(
            "select id from records where platform = 'square' and stream = 'customers' "
            "and deleted = 0 and exists (select 1 from json_each(payload, '$.group_ids') "
            "where value = ?) order by id",
            (group_id,),
        )
        return [r[0] for r in rows]


class OrderTruth(NamedTuple):
    """What the generator meant a purchase to be worth, net of refunds, cancellations
    and returns (an online order returned in a store is credited to the online order),
    and how its web session arrived. Analytics tests compare against it."""

    platform: str
    id: str
    person_id: int
    channel: str
    """web (Shopify) or store (Square)."""
    ordered_at: str
    net_cents: int
    arrival: str | None = None
    """For web orders: facebook_paid, facebook_click_id, email, organic_search or direct."""


class TruthStore:
    """Ground truth: which person each platform record belongs to. Tests/benchmarks only."""

    def __init__(self, world_dir: str | Path, *, create: bool = False) -> None:
        path = Path(world_dir) / TRUTH_DB
        if not create and not path.exists():
            raise FileNotFoundError(f"No ground truth at {path}")
        self.conn = _connect(path)
        if create:
            self.conn.executescript(_TRUTH_SCHEMA)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> TruthStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def put(self, rows: Iterable[tuple]) -> None:
        """Record-person rows `(platform, stream, id, person_id)`, and `OrderTruth` rows."""
        rows = list(rows)
        self.conn.executemany(
            "insert or replace into record_person (platform, stream, id, person_id) "
            "values (?, ?, ?, ?)",
            [r for r in rows if not isinstance(r, OrderTruth)],
        )
        self.conn.executemany(
            "insert or replace into orders "
            "(platform, id, person_id, channel, ordered_at, net_cents, arrival) "
            "values (?, ?, ?, ?, ?, ?, ?)",
            [r for r in rows if isinstance(r, OrderTruth)],
        )

    def person_of(self, platform: str, stream: str, id: str) -> int | None:
        row = self.conn.execute(
            "select person_id from record_person where platform = ? and stream = ? and id = ?",
            (platform, stream, id),
        ).fetchone()
        return int(row[0]) if row else None
