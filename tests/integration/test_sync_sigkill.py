"""A sync SIGKILLed mid-batch, then run again, for each of the five destinations.

The killed run is a real process (tests/integration/sync_child.py) running the
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

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from connectors.sync.engine import run_sync
from connectors.sync.state import SyncState
from sandbox.server import EmulatorServer
from sandbox.store import WorldStore
from tests.integration.helpers import set_knobs
from tests.integration.sync_faults import CASES, added_twice
from tests.integration.sync_world import gate_relations, write_calls
from warehouse import Warehouse

PEOPLE = 20
LEAVING = 4
LATENCY_MS = 60
REPO = Path(__file__).resolve().parents[2]


def _wait(condition: object, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.003)


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

    remove_calls = -(-LEAVING // case.batch)
    done_before_kill = 1 if phase == "remove" else remove_calls
    start = len(write_calls(emulator, case.platform))
    config = tmp_path / "child.json"
    config.write_text(
        json.dumps(
            {
                "case": name,
                "rows": after,
                "env": emulator.env(),
                "warehouse": str(duckdb_warehouse.duckdb_path),
            }
        )
    )
    set_knobs(emulator, latency_ms=LATENCY_MS)
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.sync_child", str(config)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        # Killed while write number done_before_kill + 1 is at the emulator: the
        # second remove, or the first add.
        _wait(
            lambda: (
                (
                    len(write_calls(emulator, case.platform)) - start >= done_before_kill
                    and emulator.in_flight > 0
                )
                or child.poll() is not None
            ),
            "the killed run's writes",
        )
        child.send_signal(signal.SIGKILL)
        _, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL, f"the run ended before the kill: {err.decode()}"
    _wait(lambda: emulator.in_flight == 0, "the emulator to finish the write in flight")
    set_knobs(emulator, latency_ms=0)

    state = SyncState(duckdb_warehouse)
    pending = state.pending(case.spec.name)
    assert pending, "the kill did not land inside a batch"
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
    assert set(state.members(case.spec.name)) == {str(r[case.spec.key]) for r in after}
    assert state.pending(case.spec.name) == {}
    twice = added_twice(case, write_calls(emulator, case.platform))
    if name == "meta_ads":
        assert set(twice) <= in_doubt and rerun.resumed == 0  # Meta cannot be asked
    else:
        assert twice == {}
        settled_by_lookup = phase == "add" or name != "zendesk"  # Zendesk lists no members
        assert rerun.resumed == (len(applied_in_doubt) if settled_by_lookup else 0)
