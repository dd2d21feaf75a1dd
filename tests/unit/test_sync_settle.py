"""Settling a batch in doubt, on a real DuckDB and PostgreSQL with an in-memory
destination.

A run that dies after its write reached the vendor leaves that batch pending.
The integration tests kill real processes against the emulator; these pin the
engine's rules for the cases between, fast: a batch whose people the rerun no
longer wants (erased, left the audience) is taken out where the destination
has it or cannot say, and left alone where the destination says it never got
it; a destination that cannot be asked still ends exact; and nobody is added
twice when the destination can be asked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pytest
import sqlalchemy as sa

from connectors.sync.destination import Destination, Member, Outcome, Row
from connectors.sync.engine import SyncSpec, run_sync
from connectors.sync.gate import ALL_LISTS, ALWAYS
from connectors.sync.state import SyncState
from warehouse import Warehouse

MIRROR = SyncSpec("settle__fake", "fake", "tag", "vip", "mirror", "id", ("email",))
ADD_ONLY = SyncSpec("settle__fake_add_only", "fake", "tag", "vip", "add_only", "id", ("email",))


class Killed(Exception):
    """Stands for SIGKILL: nothing after it runs, not even the engine's finally."""


class Tags(Destination):
    """A set of members keyed by ref; dies after applying call number `die_at`
    (or before it, with `before=True`); `listable=False` hides membership, as
    Meta does."""

    def __init__(self, die_at: int | None = None, before: bool = False, listable: bool = True):
        self.key = "id"
        self.batch_size = 2
        self.api_calls = 0
        self.held: set[str] = set()
        self.adds: list[str] = []
        self.die_at, self.before, self.listable = die_at, before, listable

    def ref_of(self, row: Row) -> str | None:
        return f"ref-{row['id']}"

    def _call(self) -> bool:
        """Whether to apply this call; raises where the process dies."""
        self.api_calls += 1
        if self.api_calls == self.die_at and self.before:
            raise Killed
        return True

    def _after(self) -> None:
        if self.api_calls == self.die_at:
            raise Killed

    def add(self, rows: Sequence[Row]) -> list[Outcome]:
        self._call()
        for row in rows:
            self.held.add(f"ref-{row['id']}")
            self.adds.append(str(row["id"]))
        self._after()
        return [Outcome(str(r["id"]), True, ref=f"ref-{r['id']}") for r in rows]

    def remove(self, members: Sequence[Member]) -> list[Outcome]:
        self._call()
        for m in members:
            self.held.discard(m.ref or "")
        self._after()
        return [Outcome(m.key, True) for m in members]

    def members(self) -> Iterable[str] | None:
        return set(self.held) if self.listable else None


@pytest.fixture(params=["duckdb_warehouse", "pg_warehouse"])
def wh(request: pytest.FixtureRequest) -> Warehouse:
    """Both warehouses: state's pending rows are plain SQL on each (PostgreSQL
    skipped where no server runs)."""
    warehouse: Warehouse = request.getfixturevalue(request.param)
    _gate(warehouse, erased=())
    return warehouse


def _gate(wh: Warehouse, erased: Iterable[str]) -> None:
    with wh.transaction() as conn:
        for schema in ("suppressions", "customers"):
            conn.execute(sa.text(f"create schema if not exists {schema}"))
        conn.execute(sa.text("drop table if exists customers.customers"))
        conn.execute(sa.text("create table customers.customers (customer_id varchar)"))
        for i in range(20):
            conn.execute(sa.text("insert into customers.customers values (:c)"), {"c": f"c{i}"})
        for name in ALL_LISTS:
            conn.execute(sa.text(f"drop table if exists suppressions.{name}"))
            conn.execute(sa.text(f"create table suppressions.{name} (customer_id varchar)"))
        for customer in erased:
            conn.execute(
                sa.text(f"insert into suppressions.{ALWAYS[0]} values (:c)"), {"c": customer}
            )


def _rows(*ids: int) -> list[dict]:
    return [{"id": str(i), "customer_id": f"c{i}", "email": f"p{i}@example.com"} for i in ids]


def _crash(spec: SyncSpec, rows: list[dict], dest: Tags, wh: Warehouse) -> dict[str, str]:
    with pytest.raises(Killed):
        run_sync(spec, rows, dest, wh)
    pending = SyncState(wh).pending(spec.name)
    assert pending, "the crash left no batch in doubt"
    return pending


@pytest.mark.parametrize("listable", [True, False])
def test_erased_before_the_rerun_is_taken_out_of_an_applied_batch(
    wh: Warehouse, listable: bool
) -> None:
    dest = Tags(die_at=2, listable=listable)  # adds 0,1 confirmed; 2,3 applied, unrecorded
    pending = _crash(MIRROR, _rows(0, 1, 2, 3), dest, wh)
    assert sorted(pending) == ["2", "3"] and dest.held >= {"ref-2", "ref-3"}
    _gate(wh, erased=["c2"])

    dest.die_at = None
    rerun = run_sync(MIRROR, _rows(0, 1, 2, 3), dest, wh)
    assert dest.held == {"ref-0", "ref-1", "ref-3"}  # c2 erased: out, though never recorded
    assert set(SyncState(wh).members(MIRROR.name)) == {"0", "1", "3"}
    assert SyncState(wh).pending(MIRROR.name) == {}
    if listable:  # asked, so the one still wanted is not sent again
        assert dest.adds.count("3") == 1 and rerun.resumed == 2
    else:  # cannot be asked: sent again (a no-op at such vendors)
        assert dest.adds.count("3") == 2


def test_left_the_audience_while_in_doubt_mirror_takes_them_out(wh: Warehouse) -> None:
    dest = Tags(die_at=2)
    _crash(MIRROR, _rows(0, 1, 2, 3), dest, wh)
    dest.die_at = None
    run_sync(MIRROR, _rows(0, 1), dest, wh)  # 2 and 3 left before the rerun
    assert dest.held == {"ref-0", "ref-1"}
    assert set(SyncState(wh).members(MIRROR.name)) == {"0", "1"}


def test_add_only_keeps_what_was_applied_and_invents_nothing(wh: Warehouse) -> None:
    applied = Tags(die_at=2)  # applied before dying
    _crash(ADD_ONLY, _rows(0, 1, 2, 3), applied, wh)
    applied.die_at = None
    run_sync(ADD_ONLY, _rows(0, 1), applied, wh)
    assert applied.held == {f"ref-{i}" for i in range(4)}  # add_only never takes away
    assert set(SyncState(wh).members(ADD_ONLY.name)) == {"0", "1", "2", "3"}


def test_a_batch_that_never_left_is_not_recorded(wh: Warehouse) -> None:
    dest = Tags(die_at=2, before=True)  # dies before its second call reaches the vendor
    _crash(ADD_ONLY, _rows(0, 1, 2, 3), dest, wh)
    assert dest.held == {"ref-0", "ref-1"}
    dest.die_at = None
    run_sync(ADD_ONLY, _rows(0, 1), dest, wh)
    state = SyncState(wh)
    assert set(state.members(ADD_ONLY.name)) == {"0", "1"}  # 2, 3 never got there
    run_sync(ADD_ONLY, _rows(0, 1, 2, 3), dest, wh)  # back: sent this time
    assert dest.held == {f"ref-{i}" for i in range(4)}
