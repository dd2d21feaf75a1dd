"""The reverse-ETL engine: gate, diff, plan, batch, apply, record.

Whatever a model says, nothing leaves that fails the gate (consent,
suppression, erasure; see gate.py): a gated row is skipped, and a member synced
before who is now gated, or no longer a customer (merged away, deleted), is
removed in every mode. Only adds/removes/updates are sent, in batches sized to
the destination's API; state moves only for rows the destination confirmed,
one batch at a time, each batch marked pending before it is sent, so a rerun
after any crash checks the one batch in doubt and then picks up exactly what
is left.

A reconciliation (periodic, or after someone edited the destination by hand)
re-reads the destination's membership first: members that vanished there are
forgotten (and sent again if wanted); members nobody synced are removed from
a mirrored object. Destinations that cannot list members but can replace them
wholesale (Meta) are replaced with exactly the desired rows.
"""

from __future__ import annotations

import functools
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeVar

from connectors.sync.destination import Destination, DestinationRefused, Member, Outcome, Row
from connectors.sync.diff import Diff, checksums, diff
from connectors.sync.gate import Gate, load_gate, required_lists
from connectors.sync.state import SyncState
from warehouse import Warehouse
from warehouse.bulk import gc_paused

__all__ = [
    "Destination",
    "DestinationRefused",
    "Member",
    "Outcome",
    "Row",
    "SyncResult",
    "SyncSpec",
    "run_sync",
    "split_specs",
]

Mode = Literal["mirror", "add_only", "upsert"]
SAMPLE_SIZE = 5
UNTRACKED = "untracked:"


@dataclass(frozen=True)
class SyncSpec:
    name: str
    """Stable identity of the sync in state and audit."""
    destination: str
    object: str
    target: str
    """The destination object's name (list, audience, group, tag, field)."""
    mode: Mode
    key: str
    fields: tuple[str, ...] = ()
    suppressions: tuple[str, ...] = ()
    """Suppression lists the declaration names; the gate adds its own."""


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
    gated: Counter = field(default_factory=Counter)
    """Rows the gate held back, by the list that named them."""
    forced_removes: int = 0
    """Members removed because their person was gated or gone, whatever the mode."""
    resumed: int = 0
    """Rows of a crashed run's batch found already applied at the destination."""
    drift_forgotten: int = 0
    drift_removed: int = 0
    refused: str | None = None

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
            "details": {
                "gated": dict(self.gated),
                "forced_removes": self.forced_removes,
                "resumed": self.resumed,
                "drift_forgotten": self.drift_forgotten,
                "drift_removed": self.drift_removed,
                "refused": self.refused,
                "duration_s": round(self.duration_s, 3),
                **self.destination_report,
            },
        }

    def absorb(self, other: SyncResult) -> None:
        """Add another part's figures (the parts of a split sync report as one)."""
        for name in (
            "planned_adds",
            "planned_removes",
            "planned_updates",
            "confirmed",
            "rejected",
            "skipped",
            "api_calls",
            "forced_removes",
            "resumed",
            "drift_forgotten",
            "drift_removed",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.gated.update(other.gated)
        self.duration_s += other.duration_s
        self.refused = self.refused or other.refused
        for key, values in other.sample.items():
            self.sample.setdefault(key, [])
            self.sample[key] = (self.sample[key] + values)[:SAMPLE_SIZE]
        for key, value in other.destination_report.items():
            mine = self.destination_report.get(key)
            if key.endswith("_rate") or not isinstance(value, int | float):
                # a share cannot be added up: the parts' rows weigh it
                if isinstance(value, int | float) and isinstance(mine, int | float):
                    a, b = self.confirmed - other.confirmed, other.confirmed
                    self.destination_report[key] = round(
                        (mine * a + value * b) / (a + b) if a + b else value, 4
                    )
                else:
                    self.destination_report.setdefault(key, value)
            elif isinstance(mine, int | float):
                self.destination_report[key] = mine + value
            else:
                self.destination_report[key] = value


def _batches(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def split_specs(
    spec: SyncSpec, value_column: str, rows: Iterable[Row], state: SyncState
) -> dict[str, tuple[SyncSpec, list[Row]]]:
    """One sync per value of `value_column` (one destination object each, e.g.
    one exclusion audience per product), including values that are gone from the
    model but still in state, so their objects are emptied rather than forgotten."""
    parts: dict[str, list[Row]] = {}
    for row in rows:
        value = row.get(value_column)
        if value not in (None, ""):
            parts.setdefault(str(value), []).append(row)
    for name in state.sync_names(f"{spec.name}:"):
        parts.setdefault(name.split(":", 1)[1], [])
    return {
        value: (replace(spec, name=f"{spec.name}:{value}", target=f"{spec.target}-{value}"), part)
        for value, part in sorted(parts.items())
    }


F = TypeVar("F")


def _one_session(run: F) -> F:
    """Run a whole sync on one warehouse session. Each batch commits twice
    (marked pending, then recorded), and on DuckDB a transaction outside a
    session opens the file and checkpoints it on close: ~0.2 s a batch, which
    for a one-member-a-call vendor (Square groups, Zendesk tags) cost more than
    the calls themselves. The session still hands the file back every few
    seconds between transactions (Warehouse.session), and each batch still
    commits on its own, so a crash loses nothing the engine recorded. The
    sync's own lock is held throughout (see in_session)."""

    @functools.wraps(run)  # type: ignore[arg-type]
    def in_session(*args: Any, **kwargs: Any) -> Any:
        warehouse = kwargs["warehouse"] if "warehouse" in kwargs else args[3]
        spec = kwargs["spec"] if "spec" in kwargs else args[0]
        # One writer per sync state, whichever run or worker asks: two syncs of
        # one audience at once would each diff against the same confirmed state
        # and send the same batches twice. Taken before the session, so a sync
        # waiting here holds no DuckDB lock.
        with warehouse.named_lock(f"sync:{spec.name}"), warehouse.session():
            return run(*args, **kwargs)  # type: ignore[operator]

    return in_session  # type: ignore[return-value]


@_one_session
def run_sync(
    spec: SyncSpec,
    desired_rows: Iterable[Row],
    destination: Destination,
    warehouse: Warehouse,
    *,
    dry_run: bool = False,
    trigger: str = "manual",
    reconcile: bool = False,
) -> SyncResult:
    started = time.perf_counter()
    result = SyncResult(sync_id=uuid.uuid4().hex, dry_run=dry_run)
    state = SyncState(warehouse)
    gate = load_gate(warehouse, required_lists(spec.destination, spec.object, spec.suppressions))

    desired: dict[str, Row] = {}
    held_back: dict[str, Row] = {}
    with gc_paused():  # a million rows: see gc_paused
        for row in desired_rows:
            key = row.get(spec.key)
            refusal = gate.refusal(row)
            if refusal is not None:
                result.gated[refusal] += 1
                result.skipped += 1
                if key not in (None, ""):
                    held_back[str(key)] = row  # never sent; a batch in doubt may be found by it
                continue
            if key in (None, ""):
                result.skipped += 1  # not known at this destination
                continue
            desired[str(key)] = row
        content = [f for f in spec.fields if f not in destination.ref_fields]
        sums = dict(zip(desired, checksums(desired.values(), content), strict=True))

    state.start(result.sync_id, spec.name, trigger, dry_run)
    error: str | None = None
    calls_before = destination.api_calls
    try:
        if not dry_run:
            _settle_pending(spec, state, destination, desired, sums, result, held_back)
        confirmed_before = state.members(spec.name)
        if reconcile and not dry_run:
            if _replace_everything(spec, state, destination, desired, sums, result):
                return result
            confirmed_before = _repair_drift(spec, state, destination, confirmed_before, result)
        plan = diff(sums, {k: m.checksum for k, m in confirmed_before.items()}, mode=spec.mode)
        moved = _relocated(destination, confirmed_before, desired)
        if moved:
            _follow_moves(plan, moved, spec.mode)
            result.destination_report["relocated"] = len(moved)
        forced = _gone_members(gate, confirmed_before, desired, plan.removes)
        result.forced_removes = len(forced)
        removes = sorted({*plan.removes, *forced})
        result.planned_adds = len(plan.adds)
        result.planned_removes = len(removes)
        result.planned_updates = len(plan.updates)
        result.sample = {
            "adds": plan.adds[:SAMPLE_SIZE],
            "removes": removes[:SAMPLE_SIZE],
            "updates": plan.updates[:SAMPLE_SIZE],
        }
        if not dry_run:
            shared = _shared_refs(confirmed_before, removes)
            if shared:
                # the destination keeps one record for both people (a shared
                # address): removing it would take away the one who stays
                state.forget(spec.name, shared)
                removes = [k for k in removes if k not in set(shared)]
                result.destination_report["forgotten_shared_refs"] = len(shared)
            # Removes first: a person leaving one audience for another never sits in both.
            for keys in _batches(removes, destination.batch_size):
                members = [confirmed_before[k] for k in keys]
                _send(result, state, spec, "remove", keys, sums, desired, destination, members)
            held = _already_held(destination, confirmed_before, removes, plan.adds, desired, sums)
            if held:
                # the destination already holds that record, as it is, for
                # another member who stays: nothing to send, only to remember
                _record(result, state, spec, held, "add", sums, desired)
                adding = {o.key for o in held}
                plan.adds = [k for k in plan.adds if k not in adding]
                result.destination_report["already_held"] = len(held)
            for keys in _batches(plan.adds, destination.batch_size):
                _send(result, state, spec, "add", keys, sums, desired, destination)
            for keys in _batches(plan.updates, destination.batch_size):
                members = [confirmed_before[k] for k in keys]
                _send(result, state, spec, "update", keys, sums, desired, destination, members)
    except DestinationRefused as exc:
        result.refused = str(exc)
        error = f"refused: {exc}"
        raise
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        result.api_calls = destination.api_calls - calls_before
        result.destination_report = {**result.destination_report, **destination.report()}
        result.duration_s = time.perf_counter() - started
        state.finish(result.sync_id, result.counts(), error)
    return result


def _shared_refs(confirmed: Mapping[str, Member], removes: Sequence[str]) -> list[str]:
    """Members to remove whose destination record another member who stays also
    maps to (two people the identity graph keeps apart, one Klaviyo profile for
    their shared email): forget them instead of removing the record."""
    kept = _staying_refs(confirmed, removes)
    return sorted(k for k in removes if confirmed[k].ref and confirmed[k].ref in kept)


def _staying_refs(confirmed: Mapping[str, Member], removes: Sequence[str]) -> dict[str, str]:
    """ref -> checksum of the destination records members who stay map to."""
    leaving = set(removes)
    return {m.ref: m.checksum for k, m in confirmed.items() if k not in leaving and m.ref}


def _already_held(
    destination: Destination,
    confirmed: Mapping[str, Member],
    removes: Sequence[str],
    adds: Sequence[str],
    desired: Mapping[str, Row],
    sums: Mapping[str, str],
) -> list[Outcome]:
    """Adds whose destination record a confirmed member who stays already maps
    to, with the same content (two people the identity graph keeps apart, one
    suppressed address): confirmed without a call. The mirror of
    `_shared_refs`; without it such a row is sent again on every run."""
    held = _staying_refs(confirmed, removes)
    if not held:
        return []
    out = []
    for key in adds:
        ref = destination.ref_of(desired[key])
        if ref and held.get(ref) == sums[key]:
            out.append(Outcome(key, True, ref=ref))
    return out


def _relocated(
    destination: Destination, confirmed: Mapping[str, Member], desired: Mapping[str, Row]
) -> list[str]:
    """Members whose record at the destination is now another one: a merge made
    the person's surviving Klaviyo profile a different one from the profile we
    confirmed. Refs stay out of the checksum (learning one is no change), so a
    ref that changed from one known value to another is caught here. (Where the
    ref is part of what is written, a Meta hash, a changed ref is an update.)"""
    if not destination.ref_fields:
        return []
    moved = []
    for key, member in confirmed.items():
        row = desired.get(key)
        if row is None or not member.ref:
            continue
        now = destination.ref_of(row)
        if now and now != member.ref:
            moved.append(key)
    return sorted(moved)


def _follow_moves(plan: Diff, moved: Sequence[str], mode: str) -> None:
    """Mirror: take the old record out, then put the new one in. Other modes
    never remove, so the new record gets the row as an update."""
    moving = set(moved)
    if mode == "mirror":
        plan.removes = sorted({*plan.removes, *moving})
        plan.adds = sorted({*plan.adds, *moving})
        plan.updates = [k for k in plan.updates if k not in moving]
    else:
        plan.updates = sorted({*plan.updates, *moving})


def _gone_members(
    gate: Gate, confirmed: Mapping[str, Member], desired: Mapping[str, Row], removes: list[str]
) -> list[str]:
    """Members to remove whatever the mode: their person is gated or gone."""
    already = set(removes)
    return sorted(
        key
        for key, member in confirmed.items()
        if key not in desired and key not in already and gate.is_gone(member.customer_id)
    )


def _send(
    result: SyncResult,
    state: SyncState,
    spec: SyncSpec,
    operation: str,
    keys: Sequence[str],
    sums: Mapping[str, str],
    desired: Mapping[str, Row],
    destination: Destination,
    members: Sequence[Member] = (),
) -> None:
    if operation == "remove":
        refs, people = [m.ref for m in members], [m.customer_id for m in members]
    else:
        refs = [destination.ref_of(desired[k]) for k in keys]
        people = [_customer(desired[k]) for k in keys]
    state.mark_pending(result.sync_id, spec.name, keys, operation, refs, people)
    if operation == "remove":
        outcomes = destination.remove(members)
    elif operation == "add":
        outcomes = destination.add([desired[k] for k in keys])
    elif getattr(destination, "update_replaces", False):
        # The vendor cannot change a member in place (Meta: a changed email is
        # a different hash): take the old one out, then put the new one in.
        removed = {o.key for o in destination.remove(members) if o.confirmed}
        outcomes = destination.add([desired[k] for k in keys if k in removed])
        outcomes += [Outcome(k, False, "old version not removed") for k in keys if k not in removed]
    else:
        outcomes = destination.update([desired[k] for k in keys])
    previous = {m.key: m.ref for m in members}
    outcomes = [
        o if o.ref is not None or o.key not in previous else replace(o, ref=previous[o.key])
        for o in outcomes
    ]
    _record(result, state, spec, outcomes, operation, sums, desired, settled=keys)


def _record(
    result: SyncResult,
    state: SyncState,
    spec: SyncSpec,
    outcomes: list[Outcome],
    operation: str,
    sums: Mapping[str, str],
    desired: Mapping[str, Row],
    settled: Sequence[str] = (),
) -> None:
    confirmed = [o for o in outcomes if o.confirmed]
    rejected = [o for o in outcomes if not o.confirmed and not o.skipped]
    result.skipped += sum(1 for o in outcomes if o.skipped)
    state.commit_batch(
        result.sync_id,
        spec.name,
        confirmed=[
            (o.key, sums[o.key], o.ref, _customer(desired.get(o.key)))
            for o in confirmed
            if operation != "remove"
        ],
        removed=[o.key for o in confirmed if operation == "remove"],
        rejected=[(o.key, operation, o.reason or "rejected") for o in rejected],
        settled=settled,
    )
    result.confirmed += len(confirmed)
    result.rejected += len(rejected)


def _customer(row: Row | None) -> str | None:
    value = None if row is None else row.get("customer_id")
    return None if value is None else str(value)


def _settle_pending(
    spec: SyncSpec,
    state: SyncState,
    destination: Destination,
    desired: Mapping[str, Row],
    sums: Mapping[str, str],
    result: SyncResult,
    held_back: Mapping[str, Row] = {},
) -> None:
    """A batch a crashed run sent but did not record: find out at the
    destination what it applied, record that, and leave the rest to the diff."""
    pending = state.pending(spec.name)
    if not pending:
        return
    confirmed = state.members(spec.name)
    adds = [desired[k] for k, op in pending.items() if op in ("add", "update") and k in desired]
    present_adds = destination.lookup(adds) if adds else {}
    applied: list[tuple[str, str, str | None, str | None]] = []
    for key, is_present in (present_adds or {}).items():
        if is_present and pending[key] == "add":
            row = desired[key]
            # A ref the lookup found (a profile the crashed run's import created)
            # wins over the row's, which did not know it yet.
            ref = is_present if isinstance(is_present, str) else destination.ref_of(row)
            applied.append((key, sums[key], ref, _customer(row)))
    # Adds in doubt whose rows this run no longer sends (the people left the
    # audience, were erased, withdrew consent): if the crashed run's write got
    # there they are at the destination with nothing in state to take them out.
    # Recorded as members when the destination has them (or cannot say), they
    # go the way of any member: removed in mirror mode, and whatever the mode
    # when their person is gated or gone.
    unwanted = [
        m
        for k, m in state.pending_members(spec.name).items()
        if pending.get(k) == "add" and k not in desired and k not in confirmed
    ]
    by_ref = [m for m in unwanted if m.ref]
    if by_ref:
        there = destination.holds(by_ref)
        applied += [
            (m.key, m.checksum, m.ref, m.customer_id)
            for m in by_ref
            if there is None or there.get(m.key)
        ]
    # Sent before its ref was known (a Klaviyo profile created by the import):
    # found by the row, which the gate held back this time, if the destination
    # can say what ref it got. (Someone gone from the model entirely cannot be.)
    unknown = [held_back[m.key] for m in unwanted if not m.ref and m.key in held_back]
    found = destination.lookup(unknown) if unknown else None
    for row in unknown:
        ref = (found or {}).get(str(row[spec.key]))
        if isinstance(ref, str):
            applied.append((str(row[spec.key]), "", ref, _customer(row)))
    removed: list[str] = []
    remove_keys = [k for k, op in pending.items() if op == "remove" and k in confirmed]
    if remove_keys:
        refs = destination.members()
        if refs is not None:
            present = set(refs)
            removed = [k for k in remove_keys if confirmed[k].ref not in present]
    result.resumed = len(applied) + len(removed)
    state.commit_batch(result.sync_id, spec.name, applied, removed, [], settled=list(pending))


def _repair_drift(
    spec: SyncSpec,
    state: SyncState,
    destination: Destination,
    confirmed: dict[str, Member],
    result: SyncResult,
) -> dict[str, Member]:
    """Compare state with what the destination holds now; repair both sides."""
    refs = destination.members()
    if refs is None:
        return confirmed
    present = set(refs)
    vanished = [k for k, m in confirmed.items() if m.ref is not None and m.ref not in present]
    state.forget(spec.name, vanished)
    result.drift_forgotten = len(vanished)
    if spec.mode == "mirror":
        ours = {m.ref for m in confirmed.values()}
        untracked = sorted(present - ours)
        for refs_batch in _batches(untracked, destination.batch_size):
            members = [Member(f"{UNTRACKED}{ref}", "", ref) for ref in refs_batch]
            outcomes = destination.remove(members)
            result.drift_removed += sum(1 for o in outcomes if o.confirmed)
    return {k: m for k, m in confirmed.items() if k not in set(vanished)}


def _replace_everything(
    spec: SyncSpec,
    state: SyncState,
    destination: Destination,
    desired: Mapping[str, Row],
    sums: Mapping[str, str],
    result: SyncResult,
) -> bool:
    """Destinations that cannot list members but can replace them (Meta's
    usersreplace): the reconciliation sends exactly the desired rows."""
    replace_all = getattr(destination, "replace", None)
    if destination.members() is not None or replace_all is None or spec.mode != "mirror":
        return False
    outcomes = replace_all([desired[k] for k in sorted(desired)])
    confirmed = [o for o in outcomes if o.confirmed]
    state.replace_all(
        spec.name, [(o.key, sums[o.key], o.ref, _customer(desired.get(o.key))) for o in confirmed]
    )
    result.planned_adds = len(desired)
    result.confirmed = len(confirmed)
    result.rejected = sum(1 for o in outcomes if not o.confirmed and not o.skipped)
    result.skipped += sum(1 for o in outcomes if o.skipped)
    return True
