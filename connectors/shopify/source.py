"""Shopify REST Admin source streams, incremental by `updated_at_min`.

Pagination (https://shopify.dev/docs/api/usage/pagination-rest): the first
request carries the filters; every later page is fetched with only
`page_info` (+ `limit`) from the `Link: <…>; rel="next"` header, since Shopify
rejects other parameters alongside `page_info`.

The cursor committed with each page is the resume point:
`{"updated_at_min", "page_info", "max_updated_at", "traversal_started_at"}`.
A crash mid-traversal resumes from the stored `page_info`; if Shopify no
longer accepts that token, the traversal restarts from its `updated_at_min`.
When a traversal ends, the next one starts at
`min(max updated_at seen, server time when this traversal began) - lookback`:
anything changed while we were paging has an updated_at after the traversal
began, so the next run sees it. Versions read twice land twice in raw;
staging keeps the newest per id, so nothing doubles downstream.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from connectors.errors import ClientError, ConnectorError
from connectors.http import HttpClient, json_of
from connectors.ingest import Page, split_valid, window_cursor_name
from connectors.shopify.client import ShopifySettings, make_client
from connectors.shopify.webhooks import Spool, SpoolDrain, spool_dir
from connectors.timestamps import iso, parse_ts, resume_point, server_time

log = logging.getLogger("omnihub.shopify")

PAGE_LIMIT = 250
DEFAULT_LOOKBACK = timedelta(minutes=5)


@dataclass(frozen=True)
class Endpoint:
    stream: str
    path: str
    items_key: str
    extra_params: tuple[tuple[str, str], ...] = ()


ENDPOINTS = {
    "customers": Endpoint("customers", "customers.json", "customers"),
    # status=any: open, closed and cancelled orders alike (the default is open only).
    "orders": Endpoint("orders", "orders.json", "orders", (("status", "any"),)),
    # Abandoned checkouts; the endpoint lists open (not yet recovered) ones by default.
    "checkouts": Endpoint("checkouts", "checkouts.json", "checkouts"),
    "products": Endpoint("products", "products.json", "products"),
}


def _next_page_info(links: Mapping[str, Any]) -> str | None:
    nxt = links.get("next")
    if not nxt:
        return None
    values = parse_qs(urlsplit(nxt["url"]).query).get("page_info")
    return values[0] if values else None


@dataclass
class ShopifyStream:
    """One REST list endpoint, read incrementally; see the module docstring."""

    endpoint: Endpoint
    client: HttpClient
    lookback: timedelta = DEFAULT_LOOKBACK
    deletions: SpoolDrain | None = None
    """Customers only: deletions received as webhooks, landed after the pages."""
    platform: str = "shopify"
    window: tuple[datetime, datetime] | None = None
    """A backfill window: only records updated in [start, end] (Shopify's
    updated_at_min/updated_at_max, both inclusive), under a cursor of its own."""

    @property
    def name(self) -> str:
        return self.endpoint.stream

    @property
    def cursor_name(self) -> str:
        """Where the cursor is kept: the stream's own, or one per backfill window,
        so windows read in parallel never share (or move) the live cursor."""
        return window_cursor_name(self.name, self.window)

    def windowed(self, start: datetime, end: datetime) -> ShopifyStream:
        """The same endpoint, reading only [start, end]. Webhook deletions are
        left to the live stream: they are one spool with one reader."""
        if end <= start:
            raise ValueError(f"an empty backfill window: {start} .. {end}")
        return replace(self, window=(start, end), deletions=None)

    def _first_params(self, updated_at_min: str | None) -> list[tuple[str, Any]]:
        params: list[tuple[str, Any]] = [("limit", PAGE_LIMIT), *self.endpoint.extra_params]
        if updated_at_min:
            params.append(("updated_at_min", updated_at_min))
        if self.window is not None:
            params.append(("updated_at_max", iso(self.window[1])))
        return params

    def pages(self, cursor: dict[str, Any] | None) -> Iterator[Page]:
        state = dict(cursor or {})
        updated_at_min: str | None = state.get("updated_at_min")
        if updated_at_min is None and self.window is not None:
            updated_at_min = iso(self.window[0])
        page_info: str | None = state.get("page_info")
        max_seen = parse_ts(state.get("max_updated_at"))
        started = parse_ts(state.get("traversal_started_at"))

        while True:
            if page_info:
                params: list[tuple[str, Any]] = [("limit", PAGE_LIMIT), ("page_info", page_info)]
            else:
                params = self._first_params(updated_at_min)
            try:
                response = self.client.get(self.endpoint.path, params=params)
            except ClientError as exc:
                if page_info and exc.status == 400:
                    log.warning(
                        "shopify/%s: stored page_info no longer accepted; restarting the "
                        "traversal from updated_at_min=%s",
                        self.name,
                        updated_at_min,
                    )
                    page_info, max_seen, started = None, None, None
                    continue
                raise
            if started is None:
                started = server_time(response.headers) or datetime.now(UTC)
            try:
                items = json_of(response)[self.endpoint.items_key]
            except (ValueError, KeyError, TypeError) as exc:
                raise ConnectorError(
                    f"shopify/{self.name}: a page was not the expected JSON "
                    f"({type(exc).__name__}); nothing from it was landed. Rerun to resume "
                    "from the last committed page."
                ) from None
            records, quarantined = split_valid(
                items,
                id_of=lambda r: r.get("id"),
                updated_at_of=lambda r: parse_ts(r.get("updated_at")),
            )
            for record in records:
                if record.updated_at and (max_seen is None or record.updated_at > max_seen):
                    max_seen = record.updated_at
            page_info = _next_page_info(response.links)
            if page_info:
                next_cursor = {
                    "updated_at_min": updated_at_min,
                    "page_info": page_info,
                    "max_updated_at": iso(max_seen) if max_seen else None,
                    "traversal_started_at": iso(started),
                }
            else:
                next_cursor = {
                    "updated_at_min": resume_point(max_seen, started, self.lookback, updated_at_min)
                }
            yield Page(records, quarantined, next_cursor)
            if not page_info:
                break
        if self.deletions is not None:
            yield from self.deletions.pages(next_cursor)


def stream(name: str, env: Mapping[str, str], **client_overrides: Any) -> ShopifyStream:
    settings = ShopifySettings.from_env(env)
    lookback = timedelta(seconds=float(env.get("SHOPIFY_LOOKBACK_S") or 300))
    deletions = SpoolDrain(Spool(spool_dir(env))) if name == "customers" else None
    return ShopifyStream(
        ENDPOINTS[name], make_client(settings, **client_overrides), lookback, deletions=deletions
    )


def customers_stream(env: Mapping[str, str]) -> ShopifyStream:
    return stream("customers", env)


def orders_stream(env: Mapping[str, str]) -> ShopifyStream:
    return stream("orders", env)


def checkouts_stream(env: Mapping[str, str]) -> ShopifyStream:
    return stream("checkouts", env)


def products_stream(env: Mapping[str, str]) -> ShopifyStream:
    return stream("products", env)
