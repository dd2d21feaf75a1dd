"""A sync SIGKILLed mid-batch, then run again, for each of the five destinations.

The killed run is a process of its own (tests/integration/sync_child.py) running the
real engine on the DuckDB warehouse file against the emulator. It is killed
while one of its writes is at the emulator (`in_flight`), so that write is
applied there but never recorded in state: the one batch the engine marked
pending. The rerun, in this process, must settle that batch at the
destination and finish the job: the platform holds exactly the audience, the
members who left before the kill and after it are gone, and nobody was added
twice. Meta alone cannot say who is in an audience, so its batch in doubt is
sent again (Meta ignores a repeated hash); only that batch may appear twice.
The kill lands once among the removes and once among the adds.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from connectors.sync.engine import run_sync
from connectors.sync.gate import ALWAYS
from connectors.sync.state import SyncState
from sandbox.server import EmulatorServer
from sandbox.store import WorldStore
from tests.integration import sync_child
from tests.integration.helpers import set_knobs
from tests.integration.sync_faults import CASES, Case, added_twice
from tests.integration.sync_world import gate_relations, write_calls
from warehouse import Warehouse

PEOPLE = 20
LEAVING = 4
LATENCY_MS = 60


def _wait(condition: object, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.003)


def _kill_while_writing(
    case: Case,
    name: str,
    rows: list[dict],
    done_before_kill: int,
    emulator: EmulatorServer,
    warehouse: Warehouse,
    tmp_path: Path,
) -> tuple[dict[str, str], list[dict]]:
    """Sync `rows` in a child process and SIGKILL it while write number
    done_before_kill + 1 is at the emulator; wait for the emulator to apply
    that write. Returns the pending batch (key -> operation) and the writes
    the killed run made."""
    start = len(write_calls(emulator, case.platform))
    config = tmp_path / "child.json"
    config.write_text(
        json.dumps(
            {
                "case": name,
                "rows": rows,
                "env": emulator.env(),
                "warehouse": str(warehouse.duckdb_path),
            }
        )
    )
    set_knobs(emulator, latency_ms=LATENCY_MS)
    # Forked, not spawned: the child skips re-importing the engine (seconds per
    # test on a busy machine) and is as much a process of its own once killed.
    child = multiprocessing.get_context("fork").Process(target=sync_child.main, args=(config,))
    child.start()
    try:
        _wait(
            lambda: (
                (
                    len(write_calls(emulator, case.platform)) - start >= done_before_kill
                    and emulator.writes_in_flight > 0
                )
                or not child.is_alive()
            ),
            "the killed run's writes",
        )
        with contextlib.suppress(ProcessLookupError):  # ended already: asserted below
            os.kill(child.pid, signal.SIGKILL)
        child.join(timeout=30)
    finally:
        if child.is_alive():
            child.kill()
    assert child.exitcode == -signal.SIGKILL, f"the run ended before the kill: {child.exitcode}"
    _wait(lambda: emulator.in_flight == 0, "the emulator to finish the write in flight")
    set_knobs(emulator, latency_ms=0)
    pending = SyncState(warehouse).pending(case.spec.name)
    assert pending, "the kill did not land inside a batch"
    return pending, write_calls(emulator, case.platform)[start:]


def _erase(warehouse: Warehouse, customers: list[str]) -> None:
    """What the erasure model says after a request to be forgotten."""
    with warehouse.transaction() as conn:
        for customer in customers:
            conn.execute(
                sa.text(f"insert into suppressions.{ALWAYS[0]} values (:c)"), {"c": customer}
            )


@pytest.mark.parametrize("phase", ["remove", "add"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_killed_mid_batch_then_rerun_converges(
    name: str,
    phase: str,
    emulator: EmulatorServer,
    world: WorldStore,
    duckdb_warehouse: Warehouse,
    tmp_path: Path,
) -> None:
    case = CASES[name]
    people = case.rows(world, PEOPLE)
    gate_relations(duckdb_warehouse, [r["customer_id"] for r in people])
    before, after = people[:10], people[LEAVING:]  # 4 leave, 10 join, 6 stay
    run_sync(case.spec, before, case.destination(emulator.env()), duckdb_warehouse)
    assert case.held(world) == {case.identity(r) for r in before}

    done_before_kill = 1 if phase == "remove" else case.writes(LEAVING) + case.imports
    pending, _ = _kill_while_writing(
        case, name, after, done_before_kill, emulator, duckdb_warehouse, tmp_path
    )
    assert set(pending.values()) == {phase}
    by_key = {str(r[case.spec.key]): r for r in people}
    in_doubt = {case.identity(by_key[k]) for k in pending}
    held_at_kill = case.held(world)
    applied_in_doubt = in_doubt & held_at_kill if phase == "add" else in_doubt - held_at_kill
    assert applied_in_doubt, "the write in flight at the kill was not applied"

    rerun = run_sync(case.spec, after, case.destination(emulator.env()), duckdb_warehouse)
    assert rerun.rejected == 0

    wanted = {case.identity(r) for r in after}
    assert case.held(world) == wanted  # every add made, no remove missed
    state = SyncState(duckdb_warehouse)
    assert set(state.members(case.spec.name)) == {str(r[case.spec.key]) for r in after}
    assert state.pending(case.spec.name) == {}
    twice = added_twice(case, write_calls(emulator, case.platform))
    if name == "meta_ads":
        assert set(twice) <= in_doubt and rerun.resumed == 0  # Meta cannot be asked
    else:
        assert twice == {}
        # Zendesk lists no members, so a remove in doubt is sent again instead.
        settled_by_lookup = phase == "add" or not name.startswith("zendesk")
        assert rerun.resumed == (len(applied_in_doubt) if settled_by_lookup else 0)


@pytest.mark.parametrize("name", sorted(CASES))
def test_people_of_the_batch_in_doubt_erased_before_the_rerun_are_taken_out(
    name: str,
    emulator: EmulatorServer,
    world: WorldStore,
    duckdb_warehouse: Warehouse,
    tmp_path: Path,
) -> None:
    """The batch in doubt was applied at the platform, and its people asked to be
    erased before the rerun: they are no longer in the audience the rerun
    syncs, but they are at the platform, so the rerun must take them out (state
    never recorded them, so the diff alone would leave them there for good)."""
    case = CASES[name]
    people = case.rows(world, PEOPLE)
    gate_relations(duckdb_warehouse, [r["customer_id"] for r in people])
    before, after = people[:10], people[LEAVING:]
    run_sync(case.spec, before, case.destination(emulator.env()), duckdb_warehouse)
    pending, _ = _kill_while_writing(
        case,
        name,
        after,
        case.writes(LEAVING) + case.imports,
        emulator,
        duckdb_warehouse,
        tmp_path,
    )
    assert set(pending.values()) == {"add"}
    by_key = {str(r[case.spec.key]): r for r in people}
    erased = [by_key[k] for k in pending]
    # applied before the kill: all of a one-call batch; of a batch of one call
    # per member, its first writes (the rest never left)
    in_doubt = {case.identity(r) for r in erased}
    applied_in_doubt = in_doubt & case.held(world)
    assert applied_in_doubt and (case.per_member or applied_in_doubt == in_doubt)
    _erase(duckdb_warehouse, [r["customer_id"] for r in erased])

    rerun = run_sync(case.spec, after, case.destination(emulator.env()), duckdb_warehouse)
    assert rerun.rejected == 0
    wanted = {case.identity(r) for r in after} - {case.identity(r) for r in erased}
    assert case.held(world) == wanted
    state = SyncState(duckdb_warehouse)
    assert set(state.members(case.spec.name)) == {str(r[case.spec.key]) for r in after} - set(
        pending
    )
    assert state.pending(case.spec.name) == {}
