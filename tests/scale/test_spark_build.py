"""The dbt project on Spark (dbt-spark's session method, a local pyspark) on a
1k-people sandbox world, against DuckDB on the same world: the build passes
(models, data tests, unit tests) and every source record lands with the same
other records in one customer on both engines.

Raw data reaches Spark as it would in production: ingested into the landing
warehouse (DuckDB) by the connectors, then written to the Parquet lake per
batch by warehouse/spark_lake.py, which dbt registers as its sources."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from sandbox.server import EmulatorServer
from tests.integration.pipeline import PROJECT, ingest_world, run_dbt, world_env
from tests.scale.conftest import PEOPLE
from warehouse import Warehouse, spark_lake

pytestmark = pytest.mark.scale


def _spark_missing() -> str | None:
    if shutil.which("java") is None:
        return "no Java on PATH (Spark needs a JVM; Debian: openjdk-17-jre-headless)"
    for module in ("pyspark", "dbt.adapters.spark"):
        try:
            if importlib.util.find_spec(module) is None:
                raise ImportError(module)
        except ImportError:
            return f"{module} is not installed (make test-scale installs the `spark` extra)"
    return None


def _dbt_spark(env: dict[str, str], *args: str) -> float:
    """`dbt <args>` on the spark target; the seconds it took."""
    dbt = Path(sys.executable).with_name("dbt")
    started = time.monotonic()
    done = subprocess.run(
        [str(dbt), *args, "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT)],
        env={**os.environ, **spark_lake.dbt_env(env), "OMNIHUB_AS_OF": env["OMNIHUB_AS_OF"]},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-6000:]
    return time.monotonic() - started


def _partition(pairs: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Records grouped by customer, the customer ids themselves left out."""
    groups: dict[str, set[str]] = defaultdict(set)
    for record_key, customer_id in pairs:
        groups[customer_id].add(record_key)
    return sorted(sorted(group) for group in groups.values())


def test_spark_build_passes_and_assigns_records_as_duckdb_does(
    world_1k: Path, tmp_path: Path
) -> None:
    missing = _spark_missing()
    if missing:
        pytest.skip(missing)
    env = {
        "OMNIHUB_DATA_DIR": str(tmp_path),
        "OMNIHUB_SPARK_DIR": str(tmp_path / "spark"),
    }
    warehouse = Warehouse.duckdb(tmp_path / "warehouse.duckdb")
    try:
        with EmulatorServer(world_1k) as emulator:
            env.update(world_env(emulator))
            ingest_world(env, warehouse)

        started = time.monotonic()
        run_dbt(warehouse, env, "build")
        duckdb_s = time.monotonic() - started

        lake = spark_lake.lake_dir(env)
        first = spark_lake.export(warehouse, lake)
        again = spark_lake.export(warehouse, lake)
        # a second export rewrites no batch (snapshot tables are rewritten whole)
        assert first.rows_written > PEOPLE and again.skipped == len(
            [path for path in first.written if f"{os.sep}raw{os.sep}" in path]
        )
        assert not [path for path in again.written if f"{os.sep}raw{os.sep}" in path]

        spark_s = _dbt_spark(env, "build")

        with warehouse.transaction() as conn:
            duckdb_rows = conn.execute(
                sa.text(
                    "select record_key, customer_id from intermediate.int_identity__assignments"
                    " where is_current"
                )
            ).all()
            raw_rows = conn.execute(sa.text("select count(*) from raw.shopify__customers")).scalar()
    finally:
        warehouse.dispose()

    # Spark's tables are Parquet folders under its warehouse dir: read them as they are
    spark_tables = Path(env["OMNIHUB_SPARK_DIR"]) / "warehouse"
    assignments = pq.read_table(
        spark_tables / "intermediate.db" / "int_identity__assignments"
    ).to_pylist()
    spark_rows = [(r["record_key"], r["customer_id"]) for r in assignments if r["is_current"]]
    lake_customers = pq.read_table(lake / "raw" / "shopify__customers").num_rows

    print(f"\ndbt build on {PEOPLE} people: DuckDB {duckdb_s:.0f} s, Spark {spark_s:.0f} s")
    assert lake_customers == raw_rows
    assert len(spark_rows) == len(duckdb_rows) > PEOPLE
    assert _partition(spark_rows) == _partition(duckdb_rows)
    # ids are minted from each customer's oldest record on both engines alike
    assert sorted(spark_rows) == sorted(duckdb_rows)
