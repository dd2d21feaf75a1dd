"""`make demo` and `make ui`: a sandbox world behind the emulator, and omnihub pointed at it.

The launcher does exactly what a user does for the real vendors — set each
platform's base URL and credentials in the environment — so nothing in
connectors/ or orchestration/ knows the sandbox exists.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from orchestration.instance import write_dagster_yaml
from sandbox.server import EmulatorServer
from sandbox.store import WorldStore
from sandbox.world import generate
from warehouse import Warehouse, data_dir


def demo_environment(world_dir: Path, server: EmulatorServer, base: Path) -> dict[str, str]:
    """The environment a run needs: the emulator's URLs and credentials, the demo
    warehouse, and "now" pinned to the world's clock (windows such as "lapsed for
    14 days" are measured from it, not from the wall clock)."""
    with WorldStore(world_dir) as world:
        now = world.now()
    return {
        **server.env(),
        "OMNIHUB_AS_OF": now,
        "OMNIHUB_DATA_DIR": str(base),
        "OMNIHUB_DUCKDB_PATH": str(base / "omnihub.duckdb"),
        "DAGSTER_HOME": str(base / "dagster"),
    }


@contextmanager
def sandbox_session(people: int, seed: int, base: Path, *, fresh: bool) -> Iterator[dict[str, str]]:
    """Generate (or reuse) a world, serve it, and yield the environment pointing at it."""
    world_dir = base / "sandbox" / "world"
    if fresh or not (world_dir / "world.sqlite").exists():
        started = time.perf_counter()
        info = generate(world_dir, people=people, seed=seed)
        print(
            f"sandbox: generated a world of {people:,} people (seed {seed}) with "
            f"{info.total_records:,} platform records in {time.perf_counter() - started:.1f}s"
        )
    write_dagster_yaml(base / "dagster")
    with EmulatorServer(world_dir) as server:
        print(f"sandbox: emulator of Klaviyo, Meta, Square, Shopify and Zendesk at {server.url}")
        yield demo_environment(world_dir, server, base)


def _fresh_warehouse(env: dict[str, str]) -> None:
    path = Path(env["OMNIHUB_DUCKDB_PATH"])
    for suffix in ("", ".wal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def run_demo(people: int, seed: int) -> int:
    base = data_dir() / "demo"
    with sandbox_session(people, seed, base, fresh=True) as env:
        _fresh_warehouse(env)
        os.environ.update(env)
        # Imported here: orchestration reads nothing at import, but keeping the
        # import after the environment is set mirrors how Dagster loads it.
        from orchestration.summary import print_run_summary, run_daily_job

        print("running the daily job: ingest -> dbt build (models + tests) -> syncs ...")
        started = time.perf_counter()
        result = run_daily_job(log_level="WARNING")
        elapsed = time.perf_counter() - started
        print_run_summary(result, Warehouse.from_env(), elapsed)
        return 0 if result.success else 1


def run_ui(people: int, seed: int) -> int:
    base = data_dir() / "demo"
    with sandbox_session(people, seed, base, fresh=False) as env:
        print("Dagster UI on http://127.0.0.1:3000 (Ctrl-C stops it and the emulator)")
        command = [sys.executable, "-m", "dagster", "dev", "-w", "workspace.yaml", "-p", "3000"]
        try:
            path = f"{Path(sys.prefix) / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
            return subprocess.call(command, env={**os.environ, **env, "PATH": path})
        except KeyboardInterrupt:
            return 0
