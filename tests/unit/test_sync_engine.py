"""The reverse-ETL engine on a real DuckDB: diff, gate, dry run, confirmed-only
state, crash resume, reconciliation, splits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pytest
import sqlalchemy as sa

from connectors.sync.diff import checksum, diff
from connectors.sync.engine import (
    Destination,
    DestinationRefused,
    Member,
    Outcome,
    Row,
    SyncSpec,
    run_sync,
    split_specs,
)
from connectors.sync.gate import ALL_LISTS, GateUnavailable, required_lists
from connectors.sync.state import SyncState
from warehouse import Warehouse

SPEC = SyncSpec("aud__dest", "fake", "tag", "vip", "mirror", "id", ("email",))
LISTS = (*ALL_LISTS, "suppress_x")


class Crash(Exception):
    """Stands for the process dying: nothing after it runs."""


class FakeDestination(Destination):
    """A set of members; rejects keys in `refuse`; can die before or after applying
    call number `crash_at`; can pretend not to be able to list its members."""

    def __init__(
        self,
        refuse: Iterable[str] = (),
        crash_at: int | None = None,
        crash_after_apply: bool = True,
        listable: bool = True,
    ) -> None:
        self.key = "id"
        self.batch_size = 2
        self.api_calls = 0
        self.present: set[str] = set()
        self.refuse = set(refuse)
        self.crash_at = crash_at
        self.crash_after_apply = crash_after_apply
        self.listable = listable
        self.added: list[str] = []
        self.removed: list[str] = []
        self.updated: list[str] = []

    def _call(self, apply) -> None:
        self.api_calls += 1
        dying = self.crash_at is not None and self.api_calls == self.crash_at
        if dying and not self.crash_after_apply:
            raise Crash
        apply()
        if dying:
            raise Crash

    def add(self, rows: Sequence[Row]) -> list[Outcome]:
        out = []

        def apply() -> None:
            for r in rows:
                key = str(r["id"])
                if key in self.refuse:
                    out.append(Outcome(key, False, "invalid customer"))
                else:
                    self.present.add(key)
                    self.added.append(key)
                    out.append(Outcome(key, True, ref=key))

        self._call(apply)
        return out

    def remove(self, members: Sequence[Member]) -> list[Outcome]:
        def apply() -> None:
            for m in members:
                self.present.discard(m.ref)
                self.removed.append(m.ref)

        self._call(apply)
        return [Outcome(m.key, True) for m in members]

    def update(self, rows: Sequence[Row]) -> list[Outcome]:
        self._call(lambda: self.updated.extend(str(r["id"]) for r in rows))
        return [Outcome(str(r["id"]), True, ref=str(r["id"])) for r in rows]

    def members(self):
        return sorted(self.present) if self.listable else None

    def ref_of(self, row: Row) -> str | None:
        return str(row["id"])


def _world(wh: Warehouse, customers: Iterable[int] = range(1, 10), **lists: Iterable[int]) -> None:
    """The relations the gate reads: customers and the suppression lists."""
    with wh.transaction() as conn:
        for schema in ("suppressions", "customers"):
            conn.execute(sa.text(f"create schema if not exists {schema}"))
        conn.execute(sa.text("drop table if exists customers.customers"))
        conn.execute(sa.text("create table customers.customers (customer_id varchar)"))
        for c in customers:
            conn.execute(sa.text("insert into customers.customers values (:c)"), {"c": f"c{c}"})
        for name in LISTS:
            conn.execute(sa.text(f"drop table if exists suppressions.{name}"))
            conn.execute(sa.text(f"create table suppressions.{name} (customer_id varchar)"))
            for c in lists.get(name, ()):
                conn.execute(
                    sa.text(f"insert into suppressions.{name} values (:c)"), {"c": f"c{c}"}
                )


@pytest.fixture
def wh(any_warehouse: Warehouse) -> Warehouse:
    """The engine's state on DuckDB and on PostgreSQL."""
    _world(any_warehouse)
    return any_warehouse


def _rows(*ids: int, email: str = "x") -> list[dict]:
    return [{"id": i, "customer_id": f"c{i}", "email": f"{email}{i}@example.com"} for i in ids]


def test_diff_modes() -> None:
    desired = {"a": "1", "b": "2", "c": "9"}
    confirmed = {"b": "2", "c": "3", "d": "4"}
    mirror = diff(desired, confirmed, mode="mirror")
    assert (mirror.adds, mirror.removes, mirror.updates) == (["a"], ["d"], ["c"])
    add_only = diff(desired, confirmed, mode="add_only")
    assert (add_only.adds, add_only.removes, add_only.updates) == (["a"], [], ["c"])
    assert checksum({"email": "x", "id": 1}, ["email"]) == checksum({"email": "x"}, ["email"])


def test_sync_converges_and_rerun_sends_nothing(wh: Warehouse) -> None:
    dest = FakeDestination()
    first = run_sync(SPEC, _rows(1, 2, 3), dest, wh)
    assert dest.present == {"1", "2", "3"} and first.confirmed == 3
    calls = dest.api_calls
    again = run_sync(SPEC, _rows(1, 2, 3), dest, wh)
    assert dest.api_calls == calls and again.planned_adds == again.planned_removes == 0
    run_sync(SPEC, _rows(2, 3, 4), dest, wh)
    assert dest.present == {"2", "3", "4"}
    changed = run_sync(SPEC, _rows(2, 3, 4, email="y"), dest, wh)
    assert changed.planned_updates == 3 and sorted(dest.updated) == ["2", "3", "4"]


def test_learning_a_members_ref_is_not_a_change(wh: Warehouse) -> None:
    """A profile the destination created on the first sync comes back on the
    next ingest with its id in the row; that is where the member lives, not
    something to write, so the rerun sends nothing (the e2e rerun at Klaviyo)."""
    spec = SyncSpec("aud__ref", "fake", "tag", "vip", "mirror", "id", ("email", "profile_id"))
    dest = FakeDestination()
    dest.ref_fields = ("profile_id",)
    run_sync(spec, _rows(1, 2), dest, wh)
    calls = dest.api_calls
    learned = [{**row, "profile_id": f"P{row['id']}"} for row in _rows(1, 2)]
    again = run_sync(spec, learned, dest, wh)
    assert again.planned_updates == 0 and dest.api_calls == calls
    changed = run_sync(spec, [{**r, "email": "new@example.com"} for r in learned], dest, wh)
    assert changed.planned_updates == 2  # what is written still counts


class ProfileDestination(FakeDestination):
    """Members live on a profile named by the row (a Klaviyo profile id)."""

    def add(self, rows: Sequence[Row]) -> list[Outcome]:
        def apply() -> None:
            for r in rows:
                self.present.add(r["profile_id"])
                self.added.append(r["profile_id"])

        self._call(apply)
        return [Outcome(str(r["id"]), True, ref=r["profile_id"]) for r in rows]

    def update(self, rows: Sequence[Row]) -> list[Outcome]:
        self._call(lambda: self.updated.extend(str(r["id"]) for r in rows))
        return [Outcome(str(r["id"]), True, ref=r["profile_id"]) for r in rows]

    def ref_of(self, row: Row) -> str | None:
        return row.get("profile_id")


@pytest.mark.parametrize("mode", ["mirror", "upsert"])
def test_a_member_whose_record_moved_follows_it(wh: Warehouse, mode: str) -> None:
    """A merge makes another of the person's profiles the survivor: the row's
    ref changes from one known value to another. Mirror takes the old profile
    out of the list and puts the new one in; the other modes write the row to
    the new one. Then a rerun sends nothing."""
    spec = SyncSpec("aud__moved", "fake", "tag", "vip", mode, "id", ("email", "profile_id"))
    dest = ProfileDestination()
    dest.ref_fields = ("profile_id",)
    rows = [{**row, "profile_id": f"P{row['id']}"} for row in _rows(1, 2)]
    run_sync(spec, rows, dest, wh)
    assert dest.present == {"P1", "P2"}
    rows[0]["profile_id"] = "Q1"
    moved = run_sync(spec, rows, dest, wh)
    assert moved.destination_report["relocated"] == 1
    if mode == "mirror":
        assert dest.present == {"Q1", "P2"} and dest.removed == ["P1"]
    else:
        assert dest.updated == ["1"] and dest.removed == []
    assert SyncState(wh).members(spec.name)["1"].ref == "Q1"
    calls = dest.api_calls
    again = run_sync(spec, rows, dest, wh)
    assert dest.api_calls == calls and again.planned_adds == again.planned_updates == 0


def test_a_record_another_member_holds_is_not_sent_again(wh: Warehouse) -> None:
    """Two people the identity graph keeps apart name one destination record
    (a shared inbox, suppressed once): the second is remembered without a call,
    so it is not sent on every run. Unless the one holding it leaves in the
    same run (then it goes out and comes back), or the content differs."""
    spec = SyncSpec("aud__shared", "fake", "tag", "vip", "mirror", "id", ("email", "profile_id"))
    dest = ProfileDestination()
    one = {"id": 1, "customer_id": "c1", "email": "home@example.com", "profile_id": "P"}
    two = {**one, "id": 2, "customer_id": "c2"}
    run_sync(spec, [one], dest, wh)
    calls = dest.api_calls
    joined = run_sync(spec, [one, two], dest, wh)
    assert dest.api_calls == calls and joined.destination_report["already_held"] == 1
    assert set(SyncState(wh).members(spec.name)) == {"1", "2"}
    again = run_sync(spec, [one, two], dest, wh)
    assert dest.api_calls == calls and again.planned_adds == 0

    handover = SyncSpec("aud__handover", "fake", "tag", "vip", "mirror", "id", spec.fields)
    dest = ProfileDestination()
    run_sync(handover, [one], dest, wh)
    swapped = run_sync(handover, [two], dest, wh)
    assert "already_held" not in swapped.destination_report
    assert dest.present == {"P"} and dest.removed == ["P"] and dest.added == ["P", "P"]

    differs = SyncSpec("aud__differs", "fake", "tag", "vip", "mirror", "id", spec.fields)
    dest = ProfileDestination()
    run_sync(differs, [one], dest, wh)
    sent = run_sync(differs, [one, {**two, "email": "work@example.com"}], dest, wh)
    assert sent.confirmed == 1 and dest.added == ["P", "P"]


def test_dry_run_plans_and_calls_nothing(wh: Warehouse) -> None:
    dest = FakeDestination()
    plan = run_sync(SPEC, _rows(1, 2, 3), dest, wh, dry_run=True)
    assert plan.planned_adds == 3 and plan.sample["adds"] == ["1", "2", "3"]
    assert dest.api_calls == 0 and dest.present == set()
    with wh.transaction() as conn:
        audit = conn.execute(sa.text("select dry_run, planned_adds from omnihub_sync.audit")).all()
    assert audit == [(True, 3)]


def test_rejected_rows_are_not_state_and_are_retried(wh: Warehouse) -> None:
    dest = FakeDestination(refuse={"2"})
    result = run_sync(SPEC, _rows(1, 2), dest, wh)
    assert (result.confirmed, result.rejected) == (1, 1)
    dest.refuse.clear()
    retry = run_sync(SPEC, _rows(1, 2), dest, wh)
    assert retry.planned_adds == 1 and dest.present == {"1", "2"}
    with wh.transaction() as conn:
        reason = conn.execute(sa.text("select reason from omnihub_sync.rejections")).scalar_one()
    assert reason == "invalid customer"


def test_the_gate_applies_whatever_the_model_says(wh: Warehouse) -> None:
    dest = FakeDestination()
    spec = SyncSpec("aud__dest", "fake", "tag", "vip", "mirror", "id", (), ("suppress_x",))
    run_sync(spec, _rows(1, 2), dest, wh)
    _world(wh, suppress_x=[2, 3])  # 2 is now suppressed; 3 always was
    result = run_sync(spec, _rows(1, 2, 3), dest, wh)
    assert dest.present == {"1"} and "3" not in dest.added
    assert result.skipped == 2 and result.planned_removes == 1
    assert result.gated == {"suppress_x": 2}
    no_id = run_sync(spec, [{"id": 7, "email": "e"}], FakeDestination(), wh)
    assert no_id.gated == {"no customer_id: the gate cannot check consent": 1}


def test_channels_get_their_consent_list_and_refusals_do_not() -> None:
    assert required_lists("klaviyo", "list") == (
        "suppress_erased",
        "suppress_email_unconsented",
        "suppress_klaviyo_address_taken",
    )
    assert required_lists("meta_ads", "custom_audience", ["suppress_x"]) == (
        "suppress_erased",
        "suppress_ads_unconsented",
        "suppress_x",
    )
    assert required_lists("klaviyo", "suppression") == ("suppress_erased",)
    assert required_lists("square", "customer_group") == ("suppress_erased",)


def test_erased_and_merged_away_people_leave_even_add_only_syncs(wh: Warehouse) -> None:
    dest = FakeDestination()
    spec = SyncSpec("aud__dest", "fake", "tag", "vip", "add_only", "id", ("email",))
    run_sync(spec, _rows(1, 2, 3), dest, wh)
    # 1 asks to be forgotten; 2 is merged into 3 (c2 is no longer a customer)
    _world(wh, customers=[1, 3], suppress_erased=[1])
    result = run_sync(spec, _rows(1, 3), dest, wh)
    assert dest.present == {"3"} and result.forced_removes == 2
    # add_only keeps someone who just left the audience
    _world(wh, customers=[3, 4])
    run_sync(spec, _rows(4), dest, wh)
    assert dest.present == {"3", "4"}


def test_a_missing_suppression_list_stops_the_sync_before_anything_is_sent(
    duckdb_warehouse: Warehouse,
) -> None:
    dest = FakeDestination()
    with pytest.raises(GateUnavailable, match="suppress_erased"):
        run_sync(SPEC, _rows(1), dest, duckdb_warehouse)
    assert dest.api_calls == 0


@pytest.mark.parametrize("after_apply", [True, False])
def test_a_crash_mid_batch_resumes_without_double_adds(wh: Warehouse, after_apply: bool) -> None:
    dest = FakeDestination(crash_at=2, crash_after_apply=after_apply)
    with pytest.raises(Crash):
        run_sync(SPEC, _rows(1, 2, 3, 4, 5, 6), dest, wh)
    dest.crash_at = None
    result = run_sync(SPEC, _rows(1, 2, 3, 4, 5, 6), dest, wh)
    assert dest.present == {str(i) for i in range(1, 7)}
    assert sorted(dest.added) == [str(i) for i in range(1, 7)]  # each added exactly once
    assert result.resumed == (2 if after_apply else 0)
    assert SyncState(wh).pending(SPEC.name) == {}


def test_a_crash_mid_remove_batch_misses_no_remove(wh: Warehouse) -> None:
    dest = FakeDestination()
    run_sync(SPEC, _rows(1, 2, 3, 4), dest, wh)
    dest.crash_at = dest.api_calls + 1
    with pytest.raises(Crash):
        run_sync(SPEC, [], dest, wh)
    dest.crash_at = None
    run_sync(SPEC, [], dest, wh)
    assert dest.present == set() and sorted(dest.removed) == ["1", "2", "3", "4"]
    assert SyncState(wh).members(SPEC.name) == {}


def test_a_destination_that_cannot_tell_gets_the_batch_again(wh: Warehouse) -> None:
    dest = FakeDestination(crash_at=1, listable=False)
    with pytest.raises(Crash):
        run_sync(SPEC, _rows(1, 2), dest, wh)
    dest.crash_at = None
    run_sync(SPEC, _rows(1, 2), dest, wh)
    # set semantics at the vendor: the member is there once, the add was sent twice
    assert dest.present == {"1", "2"} and sorted(dest.added) == ["1", "1", "2", "2"]


def test_reconciliation_repairs_drift_on_both_sides(wh: Warehouse) -> None:
    dest = FakeDestination()
    run_sync(SPEC, _rows(1, 2, 3), dest, wh)
    dest.present.discard("2")  # someone removed a member by hand
    dest.present.add("99")  # and added someone nobody synced
    plain = run_sync(SPEC, _rows(1, 2, 3), dest, wh)
    assert plain.planned_adds == 0 and "2" not in dest.present  # a diff alone cannot see it
    repaired = run_sync(SPEC, _rows(1, 2, 3), dest, wh, reconcile=True)
    assert dest.present == {"1", "2", "3"}
    assert (repaired.drift_forgotten, repaired.drift_removed) == (1, 1)


def test_refusal_is_recorded_and_not_retried(wh: Warehouse) -> None:
    class Restricted(FakeDestination):
        def add(self, rows: Sequence[Row]) -> list[Outcome]:
            self.api_calls += 1
            raise DestinationRefused("audience is restricted (operation_status 471)")

    dest = Restricted()
    with pytest.raises(DestinationRefused):
        run_sync(SPEC, _rows(1, 2, 3), dest, wh)
    assert dest.api_calls == 1
    with wh.transaction() as conn:
        error = conn.execute(sa.text("select error from omnihub_sync.audit")).scalar_one()
    assert "restricted" in error


def test_split_syncs_cover_values_gone_from_the_model(wh: Warehouse) -> None:
    state = SyncState(wh)
    rows = [{**r, "sku": sku} for r, sku in zip(_rows(1, 2, 3), ["A", "B", "A"], strict=True)]
    parts = split_specs(SPEC, "sku", rows, state)
    assert {v: [r["id"] for r in p[1]] for v, p in parts.items()} == {"A": [1, 3], "B": [2]}
    for spec, part in parts.values():
        run_sync(spec, part, FakeDestination(), wh)
    later = split_specs(SPEC, "sku", rows[:1], state)
    assert sorted(later) == ["A", "B"] and later["B"][1] == []
    assert later["B"][0].target == "vip-B" and later["B"][0].name == "aud__dest:B"


def test_a_vendor_that_cannot_update_in_place_gets_remove_then_add(wh: Warehouse) -> None:
    class Hashes(FakeDestination):
        update_replaces = True

    dest = Hashes()
    run_sync(SPEC, _rows(1, 2), dest, wh)
    result = run_sync(SPEC, _rows(1, 2, email="new"), dest, wh)
    assert result.planned_updates == 2 and dest.updated == []
    assert dest.removed == ["1", "2"] and dest.added == ["1", "2", "1", "2"]
    assert {m.ref for m in SyncState(wh).members(SPEC.name).values()} == {"1", "2"}
