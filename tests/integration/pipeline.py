"""Run the pipeline's parts on a sandbox world without Dagster: every stream
ingested from the emulator, what Python computes before dbt, then dbt itself.
Shared by the integration tests that check dbt's output against the world."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

from connectors.ingest import run_stream
from sandbox.server import EmulatorServer
from sandbox.store import WorldStore
from warehouse import Landing, Warehouse, erasure, phone_numbers

PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
STREAMS = {
    "shopify": ("customers", "orders", "checkouts", "products"),
    "klaviyo": ("profiles", "events", "lists", "metrics"),
    "square": ("customers", "orders", "loyalty_accounts"),
    "zendesk": ("users", "tickets", "satisfaction_ratings"),
    "meta_ads": ("campaigns", "insights", "leads"),
}


def copy_world(source: Path, target: Path) -> Path:
    """A private copy of a world directory (sqlite backup: safe with WAL files),
    so whatever a test's syncs write there no other test sees."""
    target.mkdir(parents=True)
    for db in source.glob("*.sqlite"):
        src, dst = sqlite3.connect(db), sqlite3.connect(target / db.name)
        try:
            src.backup(dst)
        finally:
            src.close()
            dst.close()
    return target


def world_env(emulator: EmulatorServer) -> dict[str, str]:
    """The emulator's environment with "now" pinned to its world's clock."""
    with WorldStore(emulator.world_dir) as world:
        return {**emulator.env(), "OMNIHUB_AS_OF": world.now()}


def ingest_world(env: dict[str, str], warehouse: Warehouse) -> None:
    """Every stream, pacing off (the fixture worlds are small), then the phone
    readings and the erasure table dbt reads as sources."""
    landing = Landing(warehouse)
    for platform, streams in STREAMS.items():
        module = __import__(f"connectors.{platform}.source", fromlist=["stream"])
        for name in streams:
            stream = module.stream(name, env)
            stream.client._bucket = None
            if platform == "meta_ads" and name == "insights":
                stream.today = date.fromisoformat(env["OMNIHUB_AS_OF"][:10])
            run_stream(stream, landing)
    phone_numbers.refresh(warehouse)
    erasure.ensure(warehouse)


def run_dbt(warehouse: Warehouse, env: dict[str, str], *args: str) -> str:
    """`dbt <args>` on the warehouse with the world's clock; fails the test with
    dbt's own output when dbt fails."""
    dbt = Path(sys.executable).with_name("dbt")
    done = subprocess.run(
        [str(dbt), *args, "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT)],
        env={
            **os.environ,
            **warehouse.dbt_env(),
            "OMNIHUB_DBT_TARGET": warehouse.dbt_target(),
            "OMNIHUB_AS_OF": env["OMNIHUB_AS_OF"],
        },
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    return done.stdout
