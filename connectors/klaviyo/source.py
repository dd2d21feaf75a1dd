"""Klaviyo source streams: JSON:API lists paged by `links.next`.

Incremental streams filter on their change time and sort by it ascending
(profiles: `updated`, events: `datetime`). After each page the committed
cursor holds the next page's link, so a crash resumes at exactly that page;
after the last page it holds the newest time seen minus a lookback, where the
next run starts (a record changed while we page moves to the end of the
traversal instead of being skipped; records re-read inside the lookback are
deduped in staging).
Lists and metrics are small and read whole each run.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from connectors.errors import ConnectorError
from connectors.http import HttpClient, json_of
from connectors.ingest import Page, split_valid, window_cursor_name
from connectors.klaviyo.client import KlaviyoSettings, make_client
from connectors.timestamps import iso, parse_ts

DEFAULT_LOOKBACK = timedelta(minutes=5)


@dataclass(frozen=True)
class Endpoint:
    stream: str
    path: str
    time_field: str | None
    """The attribute filtered and sorted on; None for small streams read whole."""
    params: tuple[tuple[str, str], ...] = ()


ENDPOINTS = {
    "profiles": Endpoint(
        "profiles",
        "api/profiles",
        "updated",
        (("page[size]", "100"), ("additional-fields[profile]", "subscriptions")),
    ),
    "events": Endpoint("events", "api/events", "datetime", (("page[size]", "1000"),)),
    "lists": Endpoint("lists", "api/lists", None),
    "metrics": Endpoint("metrics", "api/metrics", None),
}


@dataclass
class KlaviyoStream:
    endpoint: Endpoint
    client: HttpClient
    lookback: timedelta = DEFAULT_LOOKBACK
    platform: str = "klaviyo"
    window: tuple[datetime, datetime] | None = None
    """A backfill window [start, end): only records whose time field is in it,
    under a cursor of its own (see windowed)."""

    @property
    def name(self) -> str:
        return self.endpoint.stream

    @property
    def cursor_name(self) -> str:
        return window_cursor_name(self.name, self.window)

    def windowed(self, start: datetime, end: datetime) -> KlaviyoStream:
        """The same endpoint filtered to [start, end). Klaviyo's profile filter has
        only strict comparisons, so the window opens a second early: a record on
        the edge is read by both windows (staging keeps one), none by neither."""
        if self.endpoint.time_field is None:
            raise ValueError(f"klaviyo/{self.name} is read whole; it has no window")
        if end <= start:
            raise ValueError(f"an empty backfill window: {start} .. {end}")
        return replace(self, window=(start, end))

    def _updated_at(self, record: dict[str, Any]) -> datetime | None:
        attributes = record.get("attributes") or {}
        field = self.endpoint.time_field or "updated"
        return parse_ts(attributes.get(field))

    def pages(self, cursor: dict[str, Any] | None) -> Iterator[Page]:
        since = (cursor or {}).get("since")
        if since is None and self.window is not None:
            since = iso(self.window[0] - timedelta(seconds=1))
        # a run that died mid-stream left the next page's link: resume exactly
        # there (Klaviyo's page cursors are positions in the sorted result, not
        # sessions), so a crash re-reads nothing and skips nothing
        resume_url = (cursor or {}).get("next")
        params: list[tuple[str, str]] = list(self.endpoint.params)
        field = self.endpoint.time_field
        if field:
            params.append(("sort", field))
            filters = [f"greater-than({field},{since})"] if since else []
            if self.window is not None:
                filters.append(f"less-than({field},{iso(self.window[1])})")
            if filters:
                params.append(("filter", ",".join(filters)))
        floor = parse_ts(since)
        newest: datetime | None = parse_ts((cursor or {}).get("newest"))
        url: str | None = resume_url or self.endpoint.path
        while url:
            response = self.client.get(url, params=params if url == self.endpoint.path else None)
            try:
                body = json_of(response)
                data, links = body["data"], body.get("links") or {}
            except (ValueError, KeyError, TypeError) as exc:
                raise ConnectorError(
                    f"klaviyo/{self.name}: a page was not the expected JSON:API document "
                    f"({type(exc).__name__}); nothing from it was landed. Rerun to resume."
                ) from None
            records, quarantined = split_valid(
                data, id_of=lambda r: r.get("id"), updated_at_of=self._updated_at
            )
            for record in records:
                if field and record.updated_at and (newest is None or record.updated_at > newest):
                    newest = record.updated_at
            url = links.get("next")
            next_cursor: dict[str, Any] = {"since": since} if since else {}
            if field and url:
                # mid-stream: this run's filter, where its next page is, the newest seen
                next_cursor["next"] = url
                if newest is not None:
                    next_cursor["newest"] = iso(newest)
            elif field and newest is not None:
                # the stream's end: the next run starts a lookback before the newest
                # change seen, for late updates (re-reads are deduped in staging)
                resume = newest - self.lookback
                # never move the cursor backwards (an empty or old page keeps it)
                next_cursor = {"since": iso(max(resume, floor) if floor else resume)}
            yield Page(records, quarantined, next_cursor)


def stream(name: str, env: Mapping[str, str]) -> KlaviyoStream:
    settings = KlaviyoSettings.from_env(env)
    lookback = timedelta(seconds=float(env.get("KLAVIYO_LOOKBACK_S") or 300))
    return KlaviyoStream(ENDPOINTS[name], make_client(settings), lookback)
