"""Square source streams: search endpoints with the cursor in the request body.

- customers: `POST /v2/customers/search` filtered on `updated_at.start_at`;
  SearchCustomers can only sort by DEFAULT or CREATED_AT, so a traversal is
  id-like ordered and resumes from its Square cursor; the next traversal starts
  at `resume_point` (newest seen vs traversal start, minus a lookback).
- orders: `POST /v2/orders/search` per batch of at most 10 locations (Square's
  limit), `date_time_filter.updated_at` with `sort_field` UPDATED_AT ascending
  (Square requires the filter and the sort to name the same field).
- loyalty_accounts: `POST /v2/loyalty/accounts/search` has no time filter, so
  the (small) stream is read whole each run; staging keeps the latest per id.
Square cursors are valid only for the query that produced them, so the
committed cursor stores the query's start time alongside the token.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from connectors.errors import ConnectorError
from connectors.http import HttpClient, json_of
from connectors.ingest import Page, split_valid
from connectors.square.client import SquareSettings, make_client
from connectors.timestamps import iso, parse_ts, resume_point, server_time

DEFAULT_LOOKBACK = timedelta(minutes=5)
LOCATIONS_PER_SEARCH = 10


def _json(response: Any, stream: str) -> dict[str, Any]:
    try:
        body = json_of(response)
        if not isinstance(body, dict):
            raise TypeError("not an object")
        return body
    except (ValueError, TypeError) as exc:
        raise ConnectorError(
            f"square/{stream}: a page was not the expected JSON ({type(exc).__name__}); "
            "nothing from it was landed. Rerun to resume."
        ) from None


@dataclass
class SquareSearch:
    name: str
    client: HttpClient
    lookback: timedelta = DEFAULT_LOOKBACK
    platform: str = "square"

    def _locations(self) -> list[str]:
        body = _json(self.client.get("v2/locations"), "locations")
        return sorted(loc["id"] for loc in body.get("locations") or [])

    def _request(self, since: str | None, batch: list[str]) -> tuple[str, dict[str, Any]]:
        if self.name == "customers":
            query: dict[str, Any] = {"sort": {"field": "CREATED_AT", "order": "ASC"}}
            if since:
                query["filter"] = {"updated_at": {"start_at": since}}
            return "v2/customers/search", {"limit": 100, "query": query}
        if self.name == "orders":
            query = {"sort": {"sort_field": "UPDATED_AT", "sort_order": "ASC"}}
            if since:
                query["filter"] = {"date_time_filter": {"updated_at": {"start_at": since}}}
            return "v2/orders/search", {"location_ids": batch, "limit": 500, "query": query}
        return "v2/loyalty/accounts/search", {"limit": 200}

    def pages(self, cursor: dict[str, Any] | None) -> Iterator[Page]:
        state = dict(cursor or {})
        since: str | None = state.get("since")
        token: str | None = state.get("cursor")
        batch_index = int(state.get("batch") or 0)
        max_seen = parse_ts(state.get("max_seen"))
        started = parse_ts(state.get("started"))
        incremental = self.name != "loyalty_accounts"
        batches: list[list[str]] = [[]]
        if self.name == "orders":
            locations = self._locations()
            batches = [
                locations[i : i + LOCATIONS_PER_SEARCH]
                for i in range(0, len(locations), LOCATIONS_PER_SEARCH)
            ] or [[]]
        while batch_index < len(batches):
            path, body = self._request(since, batches[batch_index])
            if token:
                body["cursor"] = token
            response = self.client.post(path, json=body)
            started = started or server_time(response.headers) or datetime.now().astimezone()
            payload = _json(response, self.name)
            records, quarantined = split_valid(
                payload.get(self.name) or [],
                id_of=lambda r: r.get("id"),
                updated_at_of=lambda r: parse_ts(r.get("updated_at")),
            )
            for record in records:
                if record.updated_at and (max_seen is None or record.updated_at > max_seen):
                    max_seen = record.updated_at
            token = payload.get("cursor")
            if not token:
                batch_index += 1
            if not incremental:
                next_cursor: dict[str, Any] = {"cursor": token} if token else {}
            elif batch_index < len(batches):
                next_cursor = {
                    "since": since,
                    "cursor": token,
                    "batch": batch_index,
                    "max_seen": iso(max_seen) if max_seen else None,
                    "started": iso(started),
                }
            else:
                next_cursor = {"since": resume_point(max_seen, started, self.lookback, since)}
            yield Page(records, quarantined, next_cursor)


STREAMS = ("customers", "orders", "loyalty_accounts")


def stream(name: str, env: Mapping[str, str]) -> SquareSearch:
    if name not in STREAMS:
        raise KeyError(f"unknown Square stream {name!r}")
    settings = SquareSettings.from_env(env)
    lookback = timedelta(seconds=float(env.get("SQUARE_LOOKBACK_S") or 300))
    return SquareSearch(name, make_client(settings), lookback)
