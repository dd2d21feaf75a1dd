"""The Parquet lake that dbt reads on Spark: the landed raw tables, one file per batch.

On Spark (dbt-spark, `OMNIHUB_DBT_TARGET=spark`) the dbt sources are Parquet
files, not tables in the landing database. Ingestion still lands every page in
the landing warehouse (DuckDB or PostgreSQL) with its cursor in one
transaction, the one place exactly-once is decided; this loader then writes
what was landed to the lake, the way a team loads a data lake from its
ingestion tool:

    <lake>/raw/<platform>__<stream>/<batch id>.parquet    one file per ingest batch
    <lake>/identity/phone_numbers/snapshot.parquet        whole-table snapshots
    <lake>/privacy/erasure_requests/snapshot.parquet

The same guarantees carry over to the lake:

- A batch's file holds exactly the rows the landing warehouse holds for that
  batch id, written to a hidden temporary name (Spark skips files starting
  with "." or "_") and renamed into place, which is atomic: a reader sees the
  whole batch or none of it, never half a file, and a crash mid-export leaves
  only a hidden temporary that the next export overwrites.
- Export is idempotent: a batch whose file already holds as many rows as the
  landing warehouse has for it is skipped; one that grew (an export ran while
  its ingest was still landing pages) is rewritten whole; a file whose batch
  no longer exists is removed. Nothing is appended to a file, so a rerun never
  doubles a row, and raw rows are append-only, so a batch never changes once
  its run ended.
- Snapshot tables (phone readings, erasure requests) are small and rewritten
  whole by the same rename.

dbt registers each source as an external Parquet table over its directory
(macro `register_lake_sources`, on-run-start), so a new batch is a new file
and needs no DDL. On a cluster the lake would live in object storage
(s3a://, abfss://) with the same layout; `OMNIHUB_SPARK_LAKE_DIR` points dbt
at it.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa

from warehouse.connection import Warehouse, data_dir

RAW_SCHEMA = "raw"
SNAPSHOT_TABLES = ("identity.phone_numbers", "privacy.erasure_requests")
RAW_COLUMNS = pa.schema(
    [
        ("id", pa.string()),
        ("updated_at", pa.timestamp("us")),
        ("deleted", pa.bool_()),
        ("payload", pa.string()),
        ("_loaded_at", pa.timestamp("us")),
        ("_batch_id", pa.string()),
    ]
)


def spark_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where Spark keeps its warehouse, metastore and (by default) the lake."""
    env = os.environ if env is None else env
    return Path(env.get("OMNIHUB_SPARK_DIR") or data_dir(env) / "spark").resolve()


def lake_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env.get("OMNIHUB_SPARK_LAKE_DIR") or spark_dir(env) / "lake").resolve()


def dbt_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for the `spark` target of dbt_project/profiles.yml."""
    return {
        "OMNIHUB_DBT_TARGET": "spark",
        "OMNIHUB_SPARK_DIR": str(spark_dir(env)),
        "OMNIHUB_SPARK_LAKE_DIR": str(lake_dir(env)),
    }


@dataclass
class ExportReport:
    written: dict[str, int] = field(default_factory=dict)  # file -> rows
    skipped: int = 0
    removed: int = 0

    @property
    def rows_written(self) -> int:
        return sum(self.written.values())


def _write_atomically(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def _rows_in(path: Path) -> int | None:
    try:
        return pq.read_metadata(path).num_rows
    except (FileNotFoundError, pa.ArrowInvalid):
        return None


def _fetch(conn: sa.Connection, kind: str, sql: str, params: tuple[object, ...] = ()) -> pa.Table:
    """Rows as Arrow: DuckDB's own Arrow result keeps every column's type (an
    all-null column included); elsewhere the DBAPI rows, typed by inference.
    `sql` marks its parameters `?`."""
    if kind == "duckdb":
        with warnings.catch_warnings():
            # "an extra copy of the rows": once per batch is fine
            warnings.simplefilter("ignore", UserWarning)
            return conn.connection.driver_connection.execute(sql, list(params)).to_arrow_table()
    names = [f"p{i}" for i in range(len(params))]
    for name in names:
        sql = sql.replace("?", f":{name}", 1)
    result = conn.execute(sa.text(sql), dict(zip(names, params, strict=True)))
    columns = list(result.keys())
    rows = result.all()
    return pa.table({name: [row[i] for row in rows] for i, name in enumerate(columns)})


def _raw_tables(conn: sa.Connection) -> list[str]:
    names = conn.execute(
        sa.text(
            "select table_name from information_schema.tables "
            "where table_schema = :s and table_name not like '\\_%' escape '\\'"
        ),
        {"s": RAW_SCHEMA},
    ).scalars()
    return sorted(names)


def _table_exists(conn: sa.Connection, qualified: str) -> bool:
    schema, name = qualified.split(".")
    # every result is read to its end: DuckDB refuses the next query on a
    # connection whose last result was left half-read
    rows = conn.execute(
        sa.text(
            "select table_name from information_schema.tables "
            "where table_schema = :s and table_name = :n"
        ),
        {"s": schema, "n": name},
    ).all()
    return bool(rows)


def export(warehouse: Warehouse, lake: Path | None = None) -> ExportReport:
    """Bring the lake up to date with what the landing warehouse holds."""
    lake = lake or lake_dir()
    report = ExportReport()
    with warehouse.transaction() as conn:
        for table in _raw_tables(conn):
            folder = lake / RAW_SCHEMA / table
            folder.mkdir(parents=True, exist_ok=True)
            counts = dict(
                conn.execute(
                    sa.text(
                        f"select _batch_id, count(*) from {RAW_SCHEMA}.{table} group by _batch_id"
                    )
                ).all()
            )
            for batch_id, count in sorted(counts.items()):
                path = folder / f"{batch_id}.parquet"
                if _rows_in(path) == count:
                    report.skipped += 1
                    continue
                rows = _fetch(
                    conn,
                    warehouse.kind,
                    "select id, updated_at, deleted, cast(payload as varchar) as payload,"
                    f" _loaded_at, _batch_id from {RAW_SCHEMA}.{table}"
                    " where _batch_id = ? order by _loaded_at, id",
                    (batch_id,),
                )
                _write_atomically(rows.cast(RAW_COLUMNS), path)
                report.written[str(path)] = count
            for stale in folder.glob("*.parquet"):
                if stale.stem not in counts:
                    stale.unlink()
                    report.removed += 1
        for qualified in SNAPSHOT_TABLES:
            if not _table_exists(conn, qualified):
                continue
            rows = _fetch(conn, warehouse.kind, f"select * from {qualified}")
            path = lake / Path(*qualified.split(".")) / "snapshot.parquet"
            _write_atomically(rows, path)
            report.written[str(path)] = rows.num_rows
    return report


def main(argv: list[str] | None = None) -> int:
    """`python -m warehouse.spark_lake [--lake DIR]`: export the landing
    warehouse (OMNIHUB_WAREHOUSE_URL or the DuckDB file) to the lake."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--lake", type=Path, default=None, help="default: OMNIHUB_SPARK_LAKE_DIR")
    args = parser.parse_args(argv)
    warehouse = Warehouse.from_env()
    try:
        report = export(warehouse, args.lake)
    finally:
        warehouse.dispose()
    print(
        f"lake: {len(report.written)} files written ({report.rows_written} rows), "
        f"{report.skipped} batches already there, {report.removed} stale files removed"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
