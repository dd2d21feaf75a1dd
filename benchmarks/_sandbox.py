"""What the benchmarks share: a cached sandbox world, the emulator with its
limits lifted, every stream ingested with pacing off, and dbt on a warehouse."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PLATFORM_STREAMS = {
    "shopify": ("customers", "orders", "checkouts", "products"),
    "klaviyo": ("profiles", "events", "lists", "metrics"),
    "square": ("customers", "orders", "loyalty_accounts"),
    "zendesk": ("users", "tickets", "satisfaction_ratings"),
    "meta_ads": ("campaigns", "insights", "leads"),
}
UNLIMITED = {"capacity": 1e9, "per_second": 1e9}


def world_path(people: int, seed: int) -> Path:
    """Where the cached world of this size and seed lives: a new generator version
    is a new world, so a cache never outlives the code that made it."""
    from sandbox.world.generate import GENERATOR_VERSION

    return ROOT / "data" / "bench" / f"world-{people}-{seed}-v{GENERATOR_VERSION}"


def world_for(people: int, seed: int) -> Path:
    """A world of `people` people, generated once and kept under data/bench/."""
    from sandbox.world import generate

    world = world_path(people, seed)
    if not (world / "world.sqlite").exists():
        print(f"generating a world of {people:,} people (seed {seed}) ...", flush=True)
        generate(world, people=people, seed=seed)
    return world


def world_today(world: Path) -> str:
    from sandbox.store import WorldStore

    with WorldStore(world) as store:
        return store.now()


@dataclass
class Emulator:
    process: subprocess.Popen
    env: dict[str, str]

    @property
    def url(self) -> str:
        return self.env["KLAVIYO_BASE_URL"].rsplit("/", 1)[0]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


def serve(world: Path) -> Emulator:
    """The emulator in its own process, every rate limit lifted, so figures
    measure the pipeline rather than a vendor's published limit."""
    import requests

    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "serve", "--world", str(world)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    env: dict[str, str] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        line = line.strip()
        if line.startswith("export "):
            key, _, value = line[len("export ") :].partition("=")
            env[key] = value
        if "ZENDESK_BASE_URL" in env:
            break
    server = env["KLAVIYO_BASE_URL"].rsplit("/", 1)[0]
    limits = {bucket: UNLIMITED for bucket in (*PLATFORM_STREAMS, "shopify_graphql")}
    limits["zendesk_incremental"] = UNLIMITED
    requests.post(f"{server}/_sandbox/knobs", json={"rate_limits": limits}, timeout=30)
    env["OMNIHUB_AS_OF"] = world_today(world)
    return Emulator(proc, env)


def build_stream(platform: str, name: str, env: Mapping[str, str]) -> Any:
    """A connector stream with proactive pacing off (the emulator's limits are lifted)."""
    from datetime import date

    module = __import__(f"connectors.{platform}.source", fromlist=["stream"])
    stream = module.stream(name, env)
    stream.client._bucket = None
    stream.client.pacing_hook = None
    if platform == "meta_ads" and name == "insights":
        stream.today = date.fromisoformat(env["OMNIHUB_AS_OF"][:10])
    return stream


def ingest_all(env: Mapping[str, str], warehouse: Any) -> int:
    """Every stream, then what the daily job computes in Python before dbt."""
    from connectors.ingest import run_stream
    from warehouse import Landing, erasure, phone_numbers

    landing = Landing(warehouse)
    rows = 0
    for platform, streams in PLATFORM_STREAMS.items():
        for name in streams:
            rows += run_stream(build_stream(platform, name, env), landing).rows_landed
    phone_numbers.refresh(warehouse)
    erasure.ensure(warehouse)
    return rows


LANDING_CODE = ("connectors", "warehouse", "sandbox")


def _landing_code_key() -> str | None:
    """A short key of the code that decides what lands (connectors, landing,
    emulator), or None when that code has uncommitted changes: a cache must
    never hand a benchmark rows landed by other code than it runs."""
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", *LANDING_CODE],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    trees = subprocess.run(
        ["git", "rev-parse", *(f"HEAD:{path}" for path in LANDING_CODE)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if dirty.returncode or dirty.stdout.strip() or trees.returncode:
        return None
    return hashlib.sha256(trees.stdout.encode()).hexdigest()[:12]


def landed_duckdb(pristine: Path, env: Mapping[str, str], path: Path) -> tuple[int, float]:
    """A DuckDB warehouse at `path` holding the whole world landed (ingest_all),
    and the rows landed and seconds spent landing them (0 when copied).

    The benchmarks that time what comes after landing (dbt builds, identity
    quality, normalization) start from the same landed file; at 1M people the
    landing takes longer than what they measure, so it is done once per world
    and per version of the landing code (kept beside the world in data/bench/)
    and copied. `benchmarks/ingest.py` and the daily job never use it: landing
    is what they measure."""
    from warehouse import Warehouse

    key = _landing_code_key()
    cache = pristine.parent / f"{pristine.name}-landed-{key}.duckdb" if key else None
    if cache is not None and cache.exists():
        shutil.copyfile(cache, path)
        return json.loads(cache.with_suffix(".json").read_text())["rows"], 0.0
    warehouse = Warehouse.duckdb(path)
    try:
        started = time.perf_counter()
        rows = ingest_all(env, warehouse)
        seconds = time.perf_counter() - started
    finally:
        warehouse.dispose()
    if cache is not None:
        partial = cache.with_name("." + cache.name)
        shutil.copyfile(path, partial)
        cache.with_suffix(".json").write_text(json.dumps({"rows": rows, "seconds": seconds}))
        partial.rename(cache)  # whole or absent: a killed copy is never taken for a cache
    return rows, seconds


def run_dbt(warehouse: Any, *args: str, env: Mapping[str, str] | None = None) -> dict[str, float]:
    """`dbt <args>` on the warehouse; returns each node's execution seconds.

    dbt writes its artifacts (run_results.json, compiled SQL) and logs to a
    directory of this call's own, so benchmarks running side by side, or a
    developer's dbt in dbt_project/, never read each other's timings."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="omnihub-bench-dbt-") as artifacts:
        # the parse `make manifest` saved, as a deployment's target/ keeps it:
        # a timed build does not include parsing the project from scratch
        parsed = ROOT / "dbt_project" / "target" / "partial_parse.msgpack"
        if parsed.exists():
            (Path(artifacts) / "target").mkdir()
            shutil.copy(parsed, Path(artifacts) / "target" / parsed.name)
        return _run_dbt(warehouse, Path(artifacts), *args, env=env)


def _run_dbt(
    warehouse: Any, artifacts: Path, *args: str, env: Mapping[str, str] | None = None
) -> dict[str, float]:
    dbt = Path(sys.executable).with_name("dbt")
    project = ROOT / "dbt_project"
    # the caller's env comes last: the Spark build names its own target
    full_env = {
        **os.environ,
        **warehouse.dbt_env(),
        "OMNIHUB_DBT_TARGET": warehouse.dbt_target(),
        **(env or {}),
    }
    started = time.perf_counter()
    done = subprocess.run(
        [
            str(dbt),
            *args,
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--target-path",
            str(artifacts / "target"),
            "--log-path",
            str(artifacts / "logs"),
        ],
        env=full_env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(f"dbt {' '.join(args)} failed:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}")
    results = json.loads((artifacts / "target" / "run_results.json").read_text())
    timings = {r["unique_id"]: r["execution_time"] for r in results["results"]}
    timings["__wall__"] = time.perf_counter() - started
    return timings
