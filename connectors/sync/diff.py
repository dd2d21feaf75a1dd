"""Compare what the model wants at a destination with what it last confirmed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


def checksum(row: Mapping[str, Any], fields: Sequence[str]) -> str:
    """Stable fingerprint of the fields a sync sends (order-independent, type-tolerant)."""
    material = json.dumps([str(row.get(f)) for f in sorted(fields)], separators=(",", ":"))
    return hashlib.sha256(material.encode()).hexdigest()[:32]


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
    result = Diff(
        adds=sorted(desired.keys() - confirmed.keys()),
        updates=sorted(k for k in desired.keys() & confirmed.keys() if desired[k] != confirmed[k]),
    )
    if mode == "mirror":
        result.removes = sorted(confirmed.keys() - desired.keys())
    return result
