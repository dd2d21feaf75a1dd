"""Vendor timestamps in, cursor timestamps out: one parser and one formatter.

Every cursor omnihub stores is UTC `YYYY-MM-DDTHH:MM:SSZ`; every vendor time is
ISO 8601 with an offset (Shopify -04:00, Klaviyo +00:00, Square/Zendesk Z, Meta
+0000). A time without an offset is refused rather than guessed.
"""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any


def parse_ts(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    text = str(value).replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":  # Meta's +0000
        text = f"{text[:-2]}:{text[-2:]}"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp without offset: {value}")
    return parsed.astimezone(UTC)


def iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def server_time(headers: Mapping[str, str]) -> datetime | None:
    """The vendor's clock, from the HTTP Date header."""
    try:
        return email.utils.parsedate_to_datetime(headers["Date"]).astimezone(UTC)
    except (KeyError, TypeError, ValueError):
        return None


def resume_point(
    max_seen: datetime | None,
    started: datetime | None,
    lookback: timedelta,
    previous: str | None,
) -> str | None:
    """Where the next traversal of an id-ordered (not time-ordered) listing starts.

    Anything changed while we paged has a change time after the traversal began,
    so the next run starts at min(newest seen, traversal start) minus a lookback;
    it never moves backwards past where this traversal started.
    """
    if max_seen is None:
        return previous
    point = min(max_seen, started) if started else max_seen
    candidate = point - lookback
    floor = parse_ts(previous)
    return iso(max(candidate, floor) if floor else candidate)
