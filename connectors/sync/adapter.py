"""What every HTTP destination adapter shares: counted calls, batches, JSON-safe values.

Adapters differ in what they say to the vendor, not in how they talk to it:
every call goes through the platform's `HttpClient` (retries, Retry-After,
pacing, auth fail-fast all live there) and is counted in `api_calls`, reads
and status polls included, because the sync asset reports what a run cost.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import requests

from connectors.errors import ConnectorError
from connectors.http import HttpClient
from connectors.sync.destination import Destination, Row
from connectors.timestamps import iso

T = TypeVar("T")


MEMBERS_PER_COMMIT = 50
"""Engine batch of a destination whose vendor takes one member a call (Square
customer groups, Zendesk user tags). Each batch commits twice (pending, then
recorded), ~10 ms on DuckDB however small the batch (benchmarks/sync.py):
at one member a batch that is more than the call itself, and 50 minutes of
commits alone for a first sync of 300,000 members. A crash mid-batch loses
nothing: the rerun settles the batch in doubt at the destination (lookup /
holds) before sending anything, so no member is pushed twice."""


class HttpDestination(Destination):
    """A destination behind one vendor client."""

    def __init__(self, client: HttpClient, key: str, batch_size: int) -> None:
        self.client = client
        self.key = key
        self.batch_size = batch_size
        self.api_calls = 0

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One vendor call (its retries are the HTTP layer's business, not a new call)."""
        self.api_calls += 1
        return self.client.request(method, path, **kwargs)

    def key_of(self, row: Row) -> str:
        return str(row[self.key])


def adapter_for(platform: str, obj: str, sync: str, adapters: Mapping[str, type[T]]) -> type[T]:
    """The adapter class for a sync's object, or an error naming the sync (and so
    its model) and the objects the platform supports."""
    if obj not in adapters:
        raise ConnectorError(
            f"sync {sync}: {platform} supports objects {', '.join(map(repr, adapters))}, "
            f"not {obj!r}"
        )
    return adapters[obj]


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most `size`: an adapter handed more rows than one
    call takes splits them itself rather than letting the vendor refuse the call."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def jsonable(value: Any) -> Any:
    """A warehouse value as JSON: Decimal -> int/float, timestamps -> ISO 8601 UTC,
    dates -> YYYY-MM-DD, tuples -> lists (the vendors' JSON has no other types)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return iso(value) if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return value


def present(value: Any) -> bool:
    """Whether a cell carries a value worth sending (None and blank text do not)."""
    return value is not None and not (isinstance(value, str) and not value.strip())
