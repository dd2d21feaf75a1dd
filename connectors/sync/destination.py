"""What the sync engine asks of a destination, and what a destination answers.

A destination adapter (`connectors/<platform>/destination.py`) turns batches
of adds, removes and updates into the vendor's write calls and answers with
one `Outcome` per row. It never decides *who* is sent (the engine's gate
does) and never keeps state (the engine commits what it confirms).

    make_destination(spec: SyncSpec, env: Mapping[str, str]) -> Destination

is the one entry point each platform module exposes; it raises NotConfigured
naming the environment variables when credentials are absent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from connectors.errors import ConnectorError

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Outcome:
    """What the destination said about one row.

    confirmed: the destination applied it (state moves).
    not confirmed, skipped=False: rejected with the platform's reason; kept and
        retried on the next run.
    skipped=True: not applicable at this destination (no usable identifier,
        the person does not exist there); not an error, nothing is stored.
    ref: the destination's own handle for the member (a Klaviyo profile id,
        the hashes sent to Meta, a Shopify gid), kept in state so a later
        remove or a reconciliation can address exactly what was added.
    """

    key: str
    confirmed: bool
    reason: str | None = None
    ref: str | None = None
    skipped: bool = False


class Member(NamedTuple):
    """A row the destination confirmed on an earlier run, as state holds it.
    (A tuple: state reads a million of them at once.)"""

    key: str
    checksum: str
    ref: str | None = None
    customer_id: str | None = None
    """The person it was synced for: if they are later erased, lose consent or
    are merged away, the engine removes the member whatever the sync's mode."""


class DestinationRefused(ConnectorError):
    """The platform refuses every write to this object (e.g. a Meta audience
    flagged restricted, `operation_status` 471). Retrying cannot help; the
    message says what to do at the platform."""


class Destination:
    """Base for destination adapters: membership-only defaults.

    key: the audience column that names a member (SyncSpec.key).
    batch_size: rows per write call, the vendor's documented maximum.
    api_calls: every call made (reads included), reported on the sync asset.
    """

    key: str
    batch_size: int = 100
    api_calls: int = 0
    ref_fields: tuple[str, ...] = ()
    """Fields that only say where the member lives at the destination (a
    Klaviyo profile id the destination itself assigned), not what to write:
    they stay out of the change checksum, so learning a member's ref on the
    next ingest is not a change that sends the row again."""

    def add(self, rows: Sequence[Row]) -> list[Outcome]:
        raise NotImplementedError

    def remove(self, members: Sequence[Member]) -> list[Outcome]:
        raise NotImplementedError

    def update(self, rows: Sequence[Row]) -> list[Outcome]:
        """Field changes for rows already present. A membership (list, tag,
        group) has no fields: re-adding is a no-op at the vendor, so confirm."""
        return [Outcome(str(row[self.key]), True, ref=self.ref_of(row)) for row in rows]

    def members(self) -> Iterable[str] | None:
        """The refs present at the destination now, for a full reconciliation;
        None where the vendor cannot list them (then reconciliation replaces
        the whole membership, if the vendor offers that, or is skipped)."""
        return None

    def ref_of(self, row: Row) -> str | None:
        """The ref a row has at the destination, when it can be known without a
        call (a Shopify gid, a Square customer id); None when only the write
        itself finds out (a Klaviyo profile created on import)."""
        return None

    def lookup(self, rows: Sequence[Row]) -> dict[str, bool | str] | None:
        """For a batch a crashed run may or may not have sent: is each row (by
        key) a member at the destination now? None where the vendor cannot say
        (then the batch is sent again: every vendor here treats a repeated add
        or remove of the same member as a no-op). A row whose ref only the write
        finds out (a Klaviyo profile created on import) is left out of the
        answer, and so is sent again on its own, rather than making the whole
        batch unknowable and sending every row of it twice. A destination that
        can find such a row's ref answers it (a string) instead of True."""
        refs = self.members()
        if refs is None:
            return None
        present = set(refs)
        found: dict[str, bool | str] = {}
        for row in rows:
            ref = self.ref_of(row)
            if ref is not None:
                found[str(row[self.key])] = ref in present
        return found

    def holds(self, members: Sequence[Member]) -> dict[str, bool] | None:
        """Like lookup, by ref (for rows the engine no longer has: the people of
        a batch in doubt who have since left the audience or been erased): is
        each member (by key) at the destination now? None where the vendor
        cannot say. Members without a ref are left out of the answer."""
        refs = self.members()
        if refs is None:
            return None
        held = set(refs)
        return {m.key: m.ref in held for m in members if m.ref is not None}

    def report(self) -> dict[str, Any]:
        """Extra figures for the sync asset's metadata (e.g. Meta's match rate)."""
        return {}
