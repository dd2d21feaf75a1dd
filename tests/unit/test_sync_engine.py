"""The reverse-ETL engine on a real DuckDB: diff, gate, dry run, confirmed-only state."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
import sqlalchemy as sa

from connectors.sync.diff import checksum, diff
from connectors.sync.engine import Destination, Member, Outcome, Row, SyncSpec, run_sync
from warehouse import Warehouse

SPEC = SyncSpec("aud__dest", "fake", "tag", "vip", "mirror", "id", ("email",))


class FakeDestination(Destination):
    """Records calls; rejects keys in `refuse`; can blow up after N batches."""

    def __init__(self, refuse: set[str] = frozenset(), crash_after: int | None = None) -> None:
        self.key = "id"
        self.batch_size = 2
        self.api_calls = 0
        self.present: set[str] = set()
        self.refuse = set(refuse)
        self.crash_after = crash_after
        self.added: list[str] = []

    def _call(self) -> None:
        if self.crash_after is not None and self.api_calls >= self.crash_after:
            raise RuntimeError("process died")
        self.api_calls += 1

    def add(self, rows: Sequence[Row]) -> list[Outcome]:
        self._call()
        out = []
        for r in rows:
            key = str(r["id"])
            if key in self.refuse:
                out.append(Outcome(key, False, "invalid customer"))
            else:
                self.present.add(key)
                self.added.append(key)
                out.append(Outcome(key, True))
        return out

    def remove(self, members: Sequence[Member]) -> list[Outcome]:
        self._call()
        self.present -= {m.key for m in members}
        return [Outcome(m.key, True) for m in members]

    def update(self, rows: Sequence[Row]) -> list[Outcome]:
        self._call()
        return [Outcome(str(r["id"]), True) for r in rows]


def _rows(*ids: int, email: str = "x") -> list[dict]:
    return [{"id": i, "email": f"{email}{i}@example.com", "consent": True} for i in ids]


def test_diff_modes() -> None:
    desired = {"a": "1", "b": "2", "c": "9"}
    confirmed = {"b": "2", "c": "3", "d": "4"}
    mirror = diff(desired, confirmed, mode="mirror")
    assert (mirror.adds, mirror.removes, mirror.updates) == (["a"], ["d"], ["c"])
    add_only = diff(desired, confirmed, mode="add_only")
    assert (add_only.adds, add_only.removes, add_only.updates) == (["a"], [], ["c"])
    upsert = diff(desired, confirmed, mode="upsert")
    assert (upsert.adds, upsert.removes, upsert.updates) == (["a"], [], ["c"])
    assert checksum({"email": "x", "id": 1}, ["email"]) == checksum({"email": "x"}, ["email"])


def test_sync_converges_and_rerun_sends_nothing(duckdb_warehouse: Warehouse) -> None:
    dest = FakeDestination()
    first = run_sync(SPEC, _rows(1, 2, 3), dest, duckdb_warehouse)
    assert dest.present == {"1", "2", "3"} and first.confirmed == 3
    calls = dest.api_calls
    again = run_sync(SPEC, _rows(1, 2, 3), dest, duckdb_warehouse)
    assert dest.api_calls == calls and again.planned_adds == again.planned_removes == 0
    run_sync(SPEC, _rows(2, 3, 4), dest, duckdb_warehouse)
    assert dest.present == {"2", "3", "4"}


def test_dry_run_plans_and_calls_nothing(duckdb_warehouse: Warehouse) -> None:
    dest = FakeDestination()
    plan = run_sync(SPEC, _rows(1, 2, 3), dest, duckdb_warehouse, dry_run=True)
    assert plan.planned_adds == 3 and plan.sample["adds"] == ["1", "2", "3"]
    assert dest.api_calls == 0 and dest.present == set()
    with duckdb_warehouse.transaction() as conn:
        audit = conn.execute(sa.text("select dry_run, planned_adds from omnihub_sync.audit")).all()
    assert audit == [(True, 3)]


def test_rejected_rows_are_not_state_and_are_retried(duckdb_warehouse: Warehouse) -> None:
    dest = FakeDestination(refuse={"2"})
    result = run_sync(SPEC, _rows(1, 2), dest, duckdb_warehouse)
    assert (result.confirmed, result.rejected) == (1, 1)
    dest.refuse.clear()
    retry = run_sync(SPEC, _rows(1, 2), dest, duckdb_warehouse)
    assert retry.planned_adds == 1 and dest.present == {"1", "2"}
    with duckdb_warehouse.transaction() as conn:
        reason = conn.execute(sa.text("select reason from omnihub_sync.rejections")).scalar_one()
    assert reason == "invalid customer"


def test_gate_blocks_and_removes_previously_synced(duckdb_warehouse: Warehouse) -> None:
    dest = FakeDestination()
    run_sync(SPEC, _rows(1, 2), dest, duckdb_warehouse)
    rows = _rows(1, 2, 3)
    rows[1]["consent"] = False  # person 2 withdrew consent
    rows[2]["consent"] = False  # person 3 never gave it
    result = run_sync(SPEC, rows, dest, duckdb_warehouse, gate=lambda r: bool(r["consent"]))
    assert dest.present == {"1"} and "3" not in dest.added
    assert result.skipped == 2 and result.planned_removes == 1


def test_crash_between_batches_resumes_without_double_adds(duckdb_warehouse: Warehouse) -> None:
    dest = FakeDestination(crash_after=2)
    with pytest.raises(RuntimeError):
        run_sync(SPEC, _rows(1, 2, 3, 4, 5, 6), dest, duckdb_warehouse)
    assert dest.present == {"1", "2", "3", "4"}
    dest.crash_after = None
    resumed = run_sync(SPEC, _rows(1, 2, 3, 4, 5, 6), dest, duckdb_warehouse)
    assert resumed.planned_adds == 2
    assert sorted(dest.added) == ["1", "2", "3", "4", "5", "6"]  # each added exactly once
    with duckdb_warehouse.transaction() as conn:
        errors = conn.execute(
            sa.text("select error from omnihub_sync.audit where error is not null")
        ).all()
    assert len(errors) == 1 and "process died" in errors[0][0]
