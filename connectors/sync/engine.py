"""The reverse-ETL engine: gate, diff, plan, batch, apply, record.

Whatever a model says, nothing leaves that fails the gate (consent,
suppression, erasure): a gated row is skipped, and if it was synced before it
is removed. Only adds/removes/updates are sent, in batches sized to the
destination's API; state moves only for rows the destination confirmed, one
batch at a time, so a rerun after any crash picks up exactly what is left.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from connectors.sync.destination import Destination, Member, Outcome, Row
from connectors.sync.diff import checksum, diff
from connectors.sync.state import SyncState
from warehouse import Warehouse

__all__ = ["Destination", "Member", "Outcome", "Row", "SyncSpec", "run_sync"]

Mode = Literal["mirror", "add_only", "upsert"]
Gate = Callable[[Row], bool]
SAMPLE_SIZE = 5


@dataclass(frozen=True)
class SyncSpec:
    name: str
    destination: str
    object: str
    target: str
    mode: Mode
    key: str
    fields: tuple[str, ...] = ()


@dataclass
class SyncResult:
    sync_id: str
    dry_run: bool
    planned_adds: int = 0
    planned_removes: int = 0
    planned_updates: int = 0
    confirmed: int = 0
    rejected: int = 0
    skipped: int = 0
    api_calls: int = 0
    duration_s: float = 0.0
    sample: dict[str, list[str]] = field(default_factory=dict)
    destination_report: dict[str, Any] = field(default_factory=dict)

    def counts(self) -> dict[str, Any]:
        return {
            "planned_adds": self.planned_adds,
            "planned_removes": self.planned_removes,
            "planned_updates": self.planned_updates,
            "confirmed": self.confirmed,
            "rejected": self.rejected,
            "skipped": self.skipped,
            "api_calls": self.api_calls,
            "sample": self.sample,
        }


def _batches(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def run_sync(
    spec: SyncSpec,
    desired_rows: Iterable[Row],
    destination: Destination,
    warehouse: Warehouse,
    *,
    dry_run: bool = False,
    trigger: str = "manual",
    gate: Gate | None = None,
) -> SyncResult:
    started = time.perf_counter()
    result = SyncResult(sync_id=uuid.uuid4().hex, dry_run=dry_run)
    state = SyncState(warehouse)

    desired: dict[str, Row] = {}
    for row in desired_rows:
        key = row.get(spec.key)
        if key in (None, "") or (gate is not None and not gate(row)):
            result.skipped += 1
            continue
        desired[str(key)] = row
    sums = {key: checksum(row, spec.fields) for key, row in desired.items()}
    confirmed_before = state.members(spec.name)
    plan = diff(sums, {k: m.checksum for k, m in confirmed_before.items()}, mode=spec.mode)
    result.planned_adds = len(plan.adds)
    result.planned_removes = len(plan.removes)
    result.planned_updates = len(plan.updates)
    result.sample = {
        "adds": plan.adds[:SAMPLE_SIZE],
        "removes": plan.removes[:SAMPLE_SIZE],
        "updates": plan.updates[:SAMPLE_SIZE],
    }

    state.start(result.sync_id, spec.name, trigger, dry_run)
    error: str | None = None
    calls_before = destination.api_calls
    try:
        if not dry_run:
            # Removes first: a person leaving one audience for another never sits in both.
            for keys in _batches(plan.removes, destination.batch_size):
                members = [confirmed_before[k] for k in keys]
                _record(result, state, spec, destination.remove(members), "remove", sums)
            for keys in _batches(plan.adds, destination.batch_size):
                rows = [desired[k] for k in keys]
                _record(result, state, spec, destination.add(rows), "add", sums)
            for keys in _batches(plan.updates, destination.batch_size):
                rows = [desired[k] for k in keys]
                _record(result, state, spec, destination.update(rows), "update", sums)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        result.api_calls = destination.api_calls - calls_before
        result.destination_report = destination.report()
        result.duration_s = time.perf_counter() - started
        state.finish(result.sync_id, result.counts(), error)
    return result


def _record(
    result: SyncResult,
    state: SyncState,
    spec: SyncSpec,
    outcomes: list[Outcome],
    operation: str,
    sums: Mapping[str, str],
) -> None:
    confirmed = [o for o in outcomes if o.confirmed]
    rejected = [o for o in outcomes if not o.confirmed and not o.skipped]
    result.skipped += sum(1 for o in outcomes if o.skipped)
    state.commit_batch(
        result.sync_id,
        spec.name,
        confirmed=[(o.key, sums[o.key], o.ref) for o in confirmed if operation != "remove"],
        removed=[o.key for o in confirmed if operation == "remove"],
        rejected=[(o.key, operation, o.reason or "rejected") for o in rejected],
    )
    result.confirmed += len(confirmed)
    result.rejected += len(rejected)
