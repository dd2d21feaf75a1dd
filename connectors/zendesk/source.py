"""Zendesk source streams.

Users and tickets use the cursor-based incremental exports
(`/api/v2/incremental/{users,tickets}/cursor.json`): only the first request
carries `start_time`; every later one follows the returned `after_cursor`
until `end_of_stream`. The time-based export is avoided on purpose: it
duplicates rows at page boundaries and loops when many records share one
timestamp. The committed cursor is Zendesk's own `after_cursor`, so the next
run continues exactly where this one stopped. Deleted tickets come back with
status "deleted", deleted users with `active: false` (the Users API's mark of a
deleted user); both land flagged as deletions. A page whose cursor does not
move while the stream is not over stops the run with an error instead of
looping. Satisfaction ratings use cursor pagination with `start_time` (by
updated_at) minus a lookback.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from connectors.errors import ConnectorError
from connectors.http import HttpClient, json_of
from connectors.ingest import Page, split_valid
from connectors.timestamps import parse_ts
from connectors.zendesk.client import EXPORT_PER_MIN, ZendeskSettings, make_client

EXPORT_PAGE = 1000
DEFAULT_LOOKBACK = timedelta(minutes=5)


def _json(response: Any, stream: str) -> dict[str, Any]:
    try:
        body = json_of(response)
        if not isinstance(body, dict):
            raise TypeError("not an object")
        return body
    except (ValueError, TypeError) as exc:
        raise ConnectorError(
            f"zendesk/{stream}: a page was not the expected JSON ({type(exc).__name__}); "
            "nothing from it was landed. Rerun to resume."
        ) from None


@dataclass
class IncrementalExport:
    """users / tickets through the cursor-based incremental export."""

    name: str
    client: HttpClient
    start_time: int = 0
    platform: str = "zendesk"

    def pages(self, cursor: dict[str, Any] | None) -> Iterator[Page]:
        after = (cursor or {}).get("after_cursor")
        path = f"api/v2/incremental/{self.name}/cursor.json"
        while True:
            params: dict[str, Any] = {"per_page": EXPORT_PAGE}
            if self.name == "tickets":  # first reply / resolution times (Ticket Metrics)
                params["include"] = "metric_sets"
            if after:
                params["cursor"] = after
            else:
                params["start_time"] = self.start_time
            body = _json(self.client.get(path, params=params), self.name)
            records, quarantined = split_valid(
                body.get(self.name) or [],
                id_of=lambda r: r.get("id"),
                updated_at_of=lambda r: parse_ts(r.get("updated_at")),
                # a deleted ticket has status "deleted", a deleted user active: false
                deleted_of=lambda r: r.get("status") == "deleted" or r.get("active") is False,
            )
            new_after = body.get("after_cursor")
            done = bool(body.get("end_of_stream"))
            if not done and (not new_after or new_after == after):
                raise ConnectorError(
                    f"zendesk/{self.name}: the export returned the same cursor without "
                    "reaching end_of_stream; stopping instead of looping. Rerun later; if it "
                    "persists, reset this stream's cursor (full refresh)."
                )
            after = new_after or after
            yield Page(records, quarantined, {"after_cursor": after} if after else {})
            if done:
                return


@dataclass
class SatisfactionRatings:
    client: HttpClient
    lookback: timedelta = DEFAULT_LOOKBACK
    name: str = "satisfaction_ratings"
    platform: str = "zendesk"

    def pages(self, cursor: dict[str, Any] | None) -> Iterator[Page]:
        start = int((cursor or {}).get("start_time") or 0)
        newest = start
        url: str | None = "api/v2/satisfaction_ratings.json"
        params: dict[str, Any] | None = {"start_time": start, "page[size]": 100}
        while url:
            body = _json(self.client.get(url, params=params), self.name)
            records, quarantined = split_valid(
                body.get(self.name) or [],
                id_of=lambda r: r.get("id"),
                updated_at_of=lambda r: parse_ts(r.get("updated_at")),
            )
            for record in records:
                if record.updated_at:
                    stamp = int((record.updated_at - self.lookback).timestamp())
                    newest = max(newest, stamp)
            url = (
                (body.get("links") or {}).get("next")
                if (body.get("meta") or {}).get("has_more")
                else None
            )
            params = None
            yield Page(records, quarantined, {"start_time": newest})


def stream(name: str, env: Mapping[str, str]) -> Any:
    settings = ZendeskSettings.from_env(env)
    if name == "satisfaction_ratings":
        lookback = timedelta(seconds=float(env.get("ZENDESK_LOOKBACK_S") or 300))
        return SatisfactionRatings(make_client(settings), lookback)
    if name in ("users", "tickets"):
        return IncrementalExport(name, make_client(settings, per_minute=EXPORT_PER_MIN))
    raise KeyError(f"unknown Zendesk stream {name!r}")


STREAMS = ("users", "tickets", "satisfaction_ratings")
