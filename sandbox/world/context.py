"""What every platform renderer needs: the world's parameters, clock and catalog,
plus the timestamp styles each vendor uses in its payloads."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sandbox.store import Record, format_ts
from sandbox.world.config import NoiseConfig

# Shopify shops report times in the shop's zone (here New York, summer offset).
SHOP_OFFSET = timedelta(hours=-4)


@dataclass(frozen=True)
class Product:
    id: int
    variant_id: int
    title: str
    category: str
    price_cents: int
    sku: str
    in_stock: bool


@dataclass(frozen=True)
class WorldContext:
    seed: int
    start: datetime
    now: datetime
    days: int
    noise: NoiseConfig
    products: tuple[Product, ...]

    def moment(
        self, rng: random.Random, after: datetime, before: datetime | None = None
    ) -> datetime:
        """A second-precision time in [after, before) (default: before now)."""
        end = before or self.now
        span = int((end - after).total_seconds())
        if span <= 1:
            return (end - timedelta(seconds=1)).replace(microsecond=0)
        return (after + timedelta(seconds=rng.randrange(span))).replace(microsecond=0)


def shopify_ts(dt: datetime) -> str:
    local = dt.astimezone(UTC) + SHOP_OFFSET
    return local.strftime("%Y-%m-%dT%H:%M:%S-04:00")


def iso_offset(dt: datetime) -> str:
    """Klaviyo style: 2026-05-01T10:00:00+00:00."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def iso_z(dt: datetime) -> str:
    """Zendesk style: 2026-05-01T10:00:00Z."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_ms(dt: datetime) -> str:
    """Square style (RFC 3339 with milliseconds): 2026-05-01T10:00:00.000Z."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def meta_ts(dt: datetime) -> str:
    """Graph API style: 2026-05-01T10:00:00+0000."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def opaque_id(prefix: str, *parts: object, length: int = 26) -> str:
    """Deterministic vendor-looking opaque id (Klaviyo ULIDs, Square ids): uppercase
    hex, a subset of the Crockford base-32 alphabet those ids use."""
    seed = f"{prefix}:{':'.join(map(str, parts))}".encode()
    return hashlib.blake2b(seed, digest_size=(length + 1) // 2).hexdigest()[:length].upper()


def record(
    platform: str,
    stream: str,
    id: object,
    created: datetime,
    updated: datetime,
    payload: dict,
    deleted: bool = False,
) -> Record:
    return Record(
        platform, stream, str(id), format_ts(created), format_ts(updated), payload, deleted
    )
