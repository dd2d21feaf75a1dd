"""The whole daily Dagster job, end to end, as the schedule runs it.

    .venv/bin/python benchmarks/daily_job.py --people 100000
    .venv/bin/python benchmarks/daily_job.py --people 1000000

Runs the real `daily` job (ingest of every stream -> dbt build -> every sync ->
the report) in process on DuckDB against the emulator, twice: the first run is
the initial load (every record of the world, every audience member pushed);
then the world advances one day and the second run is the daily run the
schedule makes every morning. The target (1M people, this 2-core machine:
<= 15 minutes) is for the daily run; the initial load is printed beside it.

The emulator's rate limits are lifted and the clients' proactive pacing is
switched off for the run (in this process only), so the figure measures
omnihub rather than a vendor's published limit; with real limits, the sync
phase is bounded by those limits and `benchmarks/sync.py` measures how close
to them it gets. Per-phase seconds come from the step stats the run's instance recorded.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _sandbox import serve, world_for

TARGET_DAILY_S = 15 * 60


def _pacing_off() -> None:
    """Every HTTP client built from here on paces nothing (the emulator is unlimited)."""
    from connectors import http

    original = http.HttpClient.__post_init__

    def unpaced(self: Any) -> None:
        self.rate_per_s = None
        self.pacing_hook = None
        original(self)

    http.HttpClient.__post_init__ = unpaced  # type: ignore[method-assign]


def _phase(step_key: str) -> str:
    """The layer a step belongs to, from its asset key (raw/..., syncs/...)."""
    if step_key.startswith(("raw__", "privacy__")):
        return "ingest"
    if step_key.startswith("syncs__"):
        return "sync"
    if step_key.startswith("reports__"):
        return "report"
    return "transform"


def _step_seconds(instance: Any, run_id: str) -> dict[str, float]:
    """Seconds each phase's steps ran, from the step stats the instance recorded.

    The run's result carries DagsterEvents, which have no timestamps; the
    instance's event log does, and `get_run_step_stats` folds it per step.
    """
    phases: dict[str, float] = defaultdict(float)
    for stats in instance.get_run_step_stats(run_id):
        if stats.start_time is not None and stats.end_time is not None:
            phases[_phase(stats.step_key)] += stats.end_time - stats.start_time
    return dict(phases)


def _run_daily(label: str) -> dict[str, Any]:
    from dagster import DagsterInstance

    from orchestration.summary import run_daily_job

    instance = DagsterInstance.ephemeral()
    started = time.perf_counter()
    result = run_daily_job(instance, log_level="WARNING")
    wall = time.perf_counter() - started
    failed = [e.step_key for e in result.all_events if e.is_step_failure]
    if not result.success:
        sys.exit(f"{label}: the daily job failed in steps {failed}")
    return {"wall_s": wall, **_step_seconds(instance, result.run_id)}


def run(people: int, seed: int) -> dict[str, dict[str, Any]]:
    import requests

    pristine = world_for(people, seed)
    with tempfile.TemporaryDirectory(dir=pristine.parent) as tmp:
        world = Path(tmp) / "world"
        print(f"copying the {people:,}-people world ...", flush=True)
        shutil.copytree(pristine, world)  # the day's advance must not touch the cache
        data = Path(tmp) / "data"
        data.mkdir()
        os.environ["OMNIHUB_DATA_DIR"] = str(data)
        os.environ["OMNIHUB_DUCKDB_PATH"] = str(data / "omnihub.duckdb")
        os.environ.pop("OMNIHUB_WAREHOUSE_URL", None)
        emulator = serve(world)
        try:
            os.environ.update(emulator.env)
            print("initial load (the first daily run on an empty warehouse) ...", flush=True)
            initial = _run_daily("initial load")
            requests.post(f"{emulator.url}/_sandbox/advance", json={"days": 1}, timeout=7200)
            emulator.stop()
            emulator = serve(world)  # fresh process: OMNIHUB_AS_OF moves with the world
            os.environ.update(emulator.env)
            print("daily run (the world one day on) ...", flush=True)
            daily = _run_daily("daily run")
        finally:
            emulator.stop()
    return {"initial load": initial, "daily run": daily}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, nargs="+", default=[100_000])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    _pacing_off()
    print(f"{'people':>10} {'run':<13} {'wall s':>8} {'ingest':>8} {'transform':>9} {'sync':>8}")
    for people in args.people:
        for label, figures in run(people, args.seed).items():
            print(
                f"{people:>10,} {label:<13} {figures['wall_s']:>8.1f} "
                f"{figures.get('ingest', 0):>8.1f} {figures.get('transform', 0):>9.1f} "
                f"{figures.get('sync', 0):>8.1f}",
                flush=True,
            )
    print(f"target at 1M people on DuckDB: daily run <= {TARGET_DAILY_S} s")


if __name__ == "__main__":
    main()
