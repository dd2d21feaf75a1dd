"""The one way into the warehouse: DuckDB file by default, PostgreSQL by URL.

DuckDB lets a single process hold a database file for writing, and other
processes (dbt, a second Dagster run, the UI's code server) fail with "Could
not set lock on file" if they try meanwhile. omnihub never holds the file
longer than one transaction and serialises every access behind a
cross-process file lock next to the database, so a concurrent run waits its
turn instead of failing. `Warehouse.exclusive()` lets a long holder (the dbt
build) take the same lock for its whole duration.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from filelock import FileLock, Timeout
from sqlalchemy.engine import Connection, Engine, make_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_DUCKDB_MEMORY_LIMIT = "128MB"
DEFAULT_LOCK_TIMEOUT_S = 3600.0
DEFAULT_SESSION_HOLD_S = 10.0

Kind = Literal["duckdb", "postgres"]


class WarehouseBusy(RuntimeError):
    """Another process held the DuckDB warehouse for longer than the lock timeout."""


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env.get("OMNIHUB_DATA_DIR") or DEFAULT_DATA_DIR)


# One FileLock per database path per process: filelock is re-entrant per
# instance and thread, so a transaction opened inside `exclusive()` does not
# deadlock, while other threads and processes wait their turn. Keyed by pid
# too: a forked worker (multiprocessing's default on Linux) must build its own,
# as filelock refuses an instance inherited across fork.
_LOCKS: dict[tuple[str, int], FileLock] = {}
_LOCKS_GUARD = threading.Lock()


def _file_lock(path: Path) -> FileLock:
    key = str(path.resolve())
    with _LOCKS_GUARD:
        mine = (key, os.getpid())
        if mine not in _LOCKS:
            _LOCKS[mine] = FileLock(key + ".lock")
        return _LOCKS[mine]


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for a PostgreSQL advisory lock named `name`."""
    digest = hashlib.sha256(f"omnihub:{name}".encode()).digest()[:8]
    return int.from_bytes(digest, "big", signed=True)


@dataclass
class Warehouse:
    """Connection settings and access for the warehouse omnihub writes to."""

    url: str
    lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S
    duckdb_memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
    """DuckDB's buffer pool for omnihub's own connections (ingest, syncs). Left
    unbounded, DuckDB keeps written pages cached up to 80% of RAM, so an
    ingest's memory would grow with the volume landed; bounded, it stays flat
    and larger queries spill to disk. dbt's connection is configured apart."""
    session_hold_s: float = DEFAULT_SESSION_HOLD_S
    """How long a session keeps the DuckDB file between two transactions before
    handing it back (see session())."""
    _engine: Engine | None = field(default=None, init=False, repr=False)
    _local: threading.local = field(default_factory=threading.local, init=False, repr=False)

    # -- construction -------------------------------------------------------
    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Warehouse:
        """`OMNIHUB_WAREHOUSE_URL` (a PostgreSQL SQLAlchemy URL) wins; otherwise the
        DuckDB file at `OMNIHUB_DUCKDB_PATH` (default `<data dir>/omnihub.duckdb`)."""
        env = os.environ if env is None else env
        url = env.get("OMNIHUB_WAREHOUSE_URL")
        timeout = float(env.get("OMNIHUB_WAREHOUSE_LOCK_TIMEOUT_S", DEFAULT_LOCK_TIMEOUT_S))
        if url:
            return cls(url=url, lock_timeout_s=timeout)
        path = Path(env.get("OMNIHUB_DUCKDB_PATH") or data_dir(env) / "omnihub.duckdb")
        memory = env.get("OMNIHUB_DUCKDB_MEMORY_LIMIT") or DEFAULT_DUCKDB_MEMORY_LIMIT
        hold = float(env.get("OMNIHUB_DUCKDB_SESSION_HOLD_S") or DEFAULT_SESSION_HOLD_S)
        return cls.duckdb(
            path, lock_timeout_s=timeout, duckdb_memory_limit=memory, session_hold_s=hold
        )

    @classmethod
    def duckdb(cls, path: str | Path, **kwargs: Any) -> Warehouse:
        return cls(url=f"duckdb:///{Path(path).resolve()}", **kwargs)

    # -- facts ----------------------------------------------------------------
    @property
    def kind(self) -> Kind:
        backend = make_url(self.url).get_backend_name()
        if backend == "duckdb":
            return "duckdb"
        if backend in ("postgresql", "postgres"):
            return "postgres"
        raise ValueError(
            f"Unsupported warehouse URL scheme {backend!r}: set OMNIHUB_WAREHOUSE_URL to "
            "postgresql+psycopg://user@host:5432/db, or unset it to use the DuckDB file."
        )

    @property
    def duckdb_path(self) -> Path:
        if self.kind != "duckdb":
            raise ValueError("not a DuckDB warehouse")
        return Path(make_url(self.url).database or "")

    def describe(self) -> str:
        """Where the data lives, without credentials (safe for logs and metadata)."""
        if self.kind == "duckdb":
            return f"duckdb:{self.duckdb_path}"
        return make_url(self.url).render_as_string(hide_password=True)

    # -- access ---------------------------------------------------------------
    def engine(self) -> Engine:
        if self._engine is None:
            if self.kind == "duckdb":
                self.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
                # NullPool: the file is released as soon as a block ends, so
                # dbt and other processes can open it between our transactions.
                self._engine = sa.create_engine(
                    self.url,
                    poolclass=sa.pool.NullPool,
                    connect_args={"config": {"memory_limit": self.duckdb_memory_limit}},
                )
            else:
                self._engine = sa.create_engine(self.url, pool_pre_ping=True)
        return self._engine

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the warehouse's writer lock (DuckDB only; PostgreSQL has real MVCC)."""
        if self.kind != "duckdb":
            yield
            return
        lock = _file_lock(self.duckdb_path)
        with self._holding(
            lock,
            f"The DuckDB warehouse {self.duckdb_path} stayed busy for "
            f"{self.lock_timeout_s:.0f}s (another omnihub run or dbt build holds "
            f"{lock.lock_file}). Let that run finish, or raise "
            "OMNIHUB_WAREHOUSE_LOCK_TIMEOUT_S; if no omnihub process is running, "
            "the lock file is stale and can be deleted.",
        ):
            yield

    @contextmanager
    def _holding(self, lock: FileLock, busy: str) -> Iterator[None]:
        """Hold a file lock for the block, waiting up to the lock timeout, then
        raising WarehouseBusy(busy)."""
        try:
            lock.acquire(timeout=self.lock_timeout_s)
        except Timeout as exc:
            raise WarehouseBusy(busy) from exc
        try:
            yield
        finally:
            lock.release()

    @contextmanager
    def named_lock(self, name: str) -> Iterator[None]:
        """Hold the lock called `name` (e.g. `cursor:shopify/orders`) until the block
        ends: one holder at a time across every thread, process and worker that
        reaches this warehouse, whatever Dagster's pools say. It guards what must
        have a single writer for longer than one transaction: a stream's cursor
        (read, then moved page by page), a sync's confirmed state.

        DuckDB: a file lock beside the database (the file is on one machine, so
        every writer is too). PostgreSQL: a session-level advisory lock, which
        works across machines. Both are released by the operating system or the
        server if the holder dies, so a killed worker never leaves one behind.
        Waits up to the lock timeout, then raises WarehouseBusy."""
        if self.kind == "duckdb":
            slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
            lock = _file_lock(self.duckdb_path.with_name(f"{self.duckdb_path.name}.{slug}"))
            with self._holding(
                lock,
                f"{name} stayed held for {self.lock_timeout_s:.0f}s (another omnihub "
                f"run holds {lock.lock_file})",
            ):
                yield
            return
        if getattr(self._local, "advisory", None) is None:
            self._local.advisory = {}
        held: dict[str, int] = self._local.advisory
        if name in held:  # re-entrant within a thread, like the file lock
            held[name] += 1
            try:
                yield
            finally:
                held[name] -= 1
            return
        key = advisory_key(name)
        deadline = time.monotonic() + self.lock_timeout_s
        # its own connection, outside any pool: the lock lives as long as it does
        conn = self.engine().connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            while not conn.execute(sa.text("select pg_try_advisory_lock(:k)"), {"k": key}).scalar():
                if time.monotonic() > deadline:
                    raise WarehouseBusy(
                        f"{name} stayed held for {self.lock_timeout_s:.0f}s by another "
                        "omnihub run (PostgreSQL advisory lock)"
                    )
                time.sleep(0.2)
            held[name] = 1
            try:
                yield
            finally:
                del held[name]
                conn.execute(sa.text("select pg_advisory_unlock(:k)"), {"k": key})
        finally:
            conn.close()

    @contextmanager
    def session(self, max_hold_s: float | None = None) -> Iterator[None]:
        """Reuse one connection for a run of transactions in this thread (e.g. every
        page of a stream): opening the DuckDB file per page costs more than landing
        the page. The connection and the writer lock are handed back after
        `max_hold_s`, between two transactions, so other processes still get
        their turn; each `transaction()` inside still commits on its own.
        Handing back costs a checkpoint (~0.2 s on a 100k-people warehouse), so
        holding for 10 s keeps that under 2% of an ingest while another run
        waits at most that long (OMNIHUB_DUCKDB_SESSION_HOLD_S sets it)."""
        if getattr(self._local, "session", False):
            yield
            return
        hold = self.session_hold_s if max_hold_s is None else max_hold_s
        self._local.session, self._local.max_hold = True, hold
        try:
            yield
        finally:
            self._release()
            self._local.session = False

    def _release(self) -> None:
        held = getattr(self._local, "held", None)
        if held is not None:
            self._local.held = None
            conn, lock_cm = held
            try:
                conn.close()
            finally:
                lock_cm.__exit__(None, None, None)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back on any error."""
        if not getattr(self._local, "session", False):
            with self.exclusive(), self.engine().begin() as conn:
                yield conn
            return
        if getattr(self._local, "held", None) is None:
            lock_cm = self.exclusive()
            lock_cm.__enter__()
            try:
                conn = self.engine().connect()
            except BaseException:
                lock_cm.__exit__(None, None, None)
                raise
            self._local.held, self._local.since = (conn, lock_cm), time.monotonic()
        conn = self._local.held[0]
        try:
            with conn.begin():
                yield conn
        except BaseException:
            self._release()
            raise
        if time.monotonic() - self._local.since > self._local.max_hold:
            self._release()

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    # -- dbt ------------------------------------------------------------------
    def dbt_target(self) -> str:
        return "duckdb" if self.kind == "duckdb" else "postgres"

    def dbt_env(self) -> dict[str, str]:
        """Environment for dbt_project/profiles.yml, which reads only env vars."""
        if self.kind == "duckdb":
            return {"OMNIHUB_DUCKDB_PATH": str(self.duckdb_path)}
        url = make_url(self.url)
        return {
            "OMNIHUB_PG_HOST": url.host or "127.0.0.1",
            "OMNIHUB_PG_PORT": str(url.port or 5432),
            "OMNIHUB_PG_USER": url.username or "postgres",
            "OMNIHUB_PG_PASSWORD": url.password or "",
            "OMNIHUB_PG_DATABASE": url.database or "postgres",
        }
