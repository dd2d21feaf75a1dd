"""Compare what the model wants at a destination with what it last confirmed."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


def checksum(row: Mapping[str, Any], fields: Sequence[str]) -> str:
    """Stable fingerprint of the fields a sync sends (order-independent, type-tolerant)."""
    return checksums([row], fields)[0]


def checksums(rows: Iterable[Mapping[str, Any]], fields: Sequence[str]) -> list[str]:
    """checksum() of many rows: values joined by a unit separator, then hashed.
    A million rows take a second or two (JSON-encoding each one took six)."""
    ordered = sorted(fields)
    sha = hashlib.sha256
    return [
        sha("\x1f".join([str(row.get(f)) for f in ordered]).encode()).hexdigest()[:32]
        for row in rows
    ]


@dataclass
class Diff:
    adds: list[str] = field(default_factory=list)
    removes: list[str] = field(default_factory=list)
    updates: list[str] = field(default_factory=list)


def diff(
    desired: Mapping[str, str],
    confirmed: Mapping[str, str],
    *,
    mode: str,
) -> Diff:
    """Keys to add, remove and update, given key -> checksum on both sides.

    Every mode adds what is missing and re-sends rows whose synced fields
    changed; only mirror removes what the model no longer holds (add_only and
    upsert never take anything away). Keys come back sorted so plans and
    batches are reproducible.
    """
    get = confirmed.get
    result = Diff(
        adds=sorted(desired.keys() - confirmed.keys()),
        updates=sorted(k for k, total in desired.items() if get(k, total) != total),
    )
    if mode == "mirror":
        result.removes = sorted(confirmed.keys() - desired.keys())
    return result
