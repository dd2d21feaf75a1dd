"""Full `dbt build` time, and the daily run after the world advances a day.

    .venv/bin/python benchmarks/build.py --people 100000 --targets duckdb postgres
    .venv/bin/python benchmarks/build.py --people 1000 --targets duckdb postgres spark

For each size and warehouse: land the whole world (on DuckDB, a copy of the
world landed once per version of the landing code: see
`_sandbox.landed_duckdb`), time a full `dbt build`
(models and data tests, as the daily job runs it), advance the sandbox world
one day, ingest what changed, and time the daily `dbt build` that follows,
printed as a ratio to the full one.
PostgreSQL uses a scratch database on OMNIHUB_BENCH_PG_URL (default the local
server), dropped afterwards. Spark (dbt-spark's session method, a local
pyspark; the `spark` extra and a JVM) reads the raw data as a team would load
it: landed in DuckDB by the connectors, then written to the Parquet lake
(warehouse/spark_lake.py) before each build; the export is timed apart.
Targets at 1M people on DuckDB, this 2-core machine: full build <= 5 minutes;
daily run <= 20% of the full build. Spark on one machine is not the point of
Spark; its figure says what the same project costs on it, at a size it is run
at here (1k), beside the two engines on that same world.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _sandbox import ingest_all, landed_duckdb, run_dbt, serve, world_for

# what the daily job's dbt asset runs (orchestration/defs/dbt/assets.py:
# BUILD_ARGS): models and data tests; dbt's unit tests belong to CI
BUILD_ARGS = ("build", "--exclude-resource-type", "unit_test")
PG_ADMIN = os.environ.get(
    "OMNIHUB_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _pg_warehouse(name: str):
    import sqlalchemy as sa

    from warehouse import Warehouse

    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"drop database if exists {name}"))
        conn.execute(sa.text(f"create database {name}"))
    admin.dispose()
    return Warehouse(url=PG_ADMIN.rsplit("/", 1)[0] + f"/{name}")


def _drop_pg(name: str) -> None:
    import sqlalchemy as sa

    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"drop database if exists {name} with (force)"))
    admin.dispose()


def run(people: int, seed: int, target: str) -> dict[str, float]:
    import shutil

    import requests

    from warehouse import Warehouse, spark_lake

    pristine = world_for(people, seed)
    with tempfile.TemporaryDirectory() as tmp:
        world = Path(tmp) / "world"
        shutil.copytree(pristine, world)  # the day's advance must not touch the cache
        emulator = serve(world)
        # a scratch database of this process's own: two benchmarks side by side
        # never drop each other's
        name = (
            f"{os.environ.get('OMNIHUB_BENCH_PG_PREFIX', 'omnihub_bench')}_{people}_{os.getpid()}"
        )
        lake: dict[str, str] = {}
        if target == "spark":
            lake = spark_lake.dbt_env({"OMNIHUB_SPARK_DIR": str(Path(tmp) / "spark")})
        export_s = 0.0
        warehouse = None

        def build() -> dict[str, float]:
            nonlocal export_s
            if lake:
                started = time.perf_counter()
                spark_lake.export(warehouse, Path(lake["OMNIHUB_SPARK_LAKE_DIR"]))
                export_s += time.perf_counter() - started
            env = {"OMNIHUB_AS_OF": emulator.env["OMNIHUB_AS_OF"], **lake}
            return run_dbt(warehouse, *BUILD_ARGS, env=env)

        try:
            if target == "postgres":
                warehouse = _pg_warehouse(name)
                started = time.perf_counter()
                rows = ingest_all(emulator.env, warehouse)
                ingest_s = time.perf_counter() - started
            else:  # DuckDB, and Spark's landing warehouse: the world landed once, copied
                path = Path(tmp) / "omnihub.duckdb"
                rows, ingest_s = landed_duckdb(pristine, emulator.env, path)
                warehouse = Warehouse.duckdb(path)
            full_timings = build()
            full = full_timings["__wall__"]
            requests.post(f"{emulator.url}/_sandbox/advance", json={"days": 1}, timeout=3600)
            emulator.stop()
            emulator = serve(world)  # fresh process: OMNIHUB_AS_OF moves with the world
            started = time.perf_counter()
            new_rows = ingest_all(emulator.env, warehouse)
            daily_ingest_s = time.perf_counter() - started
            daily_timings = build()
            daily = daily_timings["__wall__"]
        finally:
            emulator.stop()
            if warehouse is not None:
                warehouse.dispose()
            if target == "postgres":
                _drop_pg(name)
    return {
        "rows": rows,
        "ingest_s": ingest_s,
        "full_build_s": full,
        "new_rows": new_rows,
        "daily_ingest_s": daily_ingest_s,
        "daily_build_s": daily,
        "lake_export_s": export_s,
        "slowest_daily": _slowest(daily_timings),
        "slowest_full": _slowest(full_timings),
    }


def _slowest(timings: dict[str, float], n: int = 6) -> list[tuple[str, float]]:
    """The models that cost the most, so a slow build says where to look."""
    nodes = [(k.split(".")[-1], t) for k, t in timings.items() if k.startswith("model.")]
    return sorted(nodes, key=lambda item: -item[1])[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, nargs="+", default=[100_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--targets",
        nargs="+",
        choices=["duckdb", "postgres", "spark"],
        default=["duckdb", "postgres"],
    )
    args = parser.parse_args()
    print(
        f"{'people':>9} {'target':<9} {'raw rows':>10} {'full build s':>12} "
        f"{'new rows':>9} {'daily build s':>13} {'daily/full':>10}"
    )
    for people in args.people:
        for target in args.targets:
            r = run(people, args.seed, target)
            print(
                f"{people:>9,} {target:<9} {r['rows']:>10,} {r['full_build_s']:>12.1f} "
                f"{r['new_rows']:>9,} {r['daily_build_s']:>13.1f} "
                f"{r['daily_build_s'] / r['full_build_s']:>10.2f}",
                flush=True,
            )
            if target == "spark":
                print(f"{'':>20} lake export (both builds): {r['lake_export_s']:.1f}s", flush=True)
            for label in ("full", "daily"):
                slow = ", ".join(f"{name} {t:.1f}s" for name, t in r[f"slowest_{label}"])
                print(f"{'':>20} slowest ({label}): {slow}", flush=True)
    print("targets at 1M people on DuckDB: full build <= 300 s; daily <= 0.20 of full")


if __name__ == "__main__":
    main()
