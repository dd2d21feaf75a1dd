"""Dagster pools for what must have one writer at a time.

A pool admits as many steps as its limit across every run and every worker
(the instance keeps the slots: `concurrency: pools: default_limit: 1` in the
dagster.yaml orchestration/instance.py writes). Pools are the scheduler's half
of the guard: a step waits for a slot instead of starting and then waiting on
the lock. The other half is the lock itself (Warehouse.named_lock, taken by
connectors/ingest.py and connectors/sync/engine.py), which holds even for a run
on an instance without pools, a script, or a limit someone raised by mistake.

- `cursor/<platform>/<stream>`: one stream's cursor (the daily run's ingest and
  an intraday job's ingest of the same stream never overlap; a backfill's
  windows each have a cursor of their own, see defs/ingest/backfill.py).
- `sync/<destination>/<model>`: one sync's confirmed destination state.

The DuckDB file needs no pool: every access takes its file lock for one
transaction (warehouse/connection.py), so more workers take turns at the file
while their HTTP calls overlap.
"""

from __future__ import annotations


def cursor_pool(platform: str, stream: str) -> str:
    return f"cursor/{platform}/{stream}"


def sync_pool(destination: str, model: str) -> str:
    return f"sync/{destination}/{model}"
