"""Drive a source stream page by page into the raw landing.

A stream yields pages; each page carries the cursor that resumes *after* it.
`run_stream` lands each page with its cursor in one transaction, so a crash
(even SIGKILL) between pages loses nothing and a rerun repeats nothing that
was committed.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from queue import Full, Queue
from typing import Any, Protocol

from connectors.http import HttpClient
from warehouse import LandedRecord, Landing, QuarantinedRecord
from warehouse.landing import payload_text


@dataclass
class Page:
    records: list[LandedRecord]
    quarantined: list[QuarantinedRecord]
    next_cursor: dict[str, Any]
    on_landed: Callable[[], None] | None = None
    """Called once the page and its cursor committed (e.g. to remove a spool
    segment it came from); never called for a page that did not land."""


class SourceStream(Protocol):
    platform: str
    name: str
    client: HttpClient

    def pages(self, cursor: dict[str, Any] | None) -> Iterator[Page]: ...


def window_cursor_name(name: str, window: tuple[datetime, datetime] | None) -> str:
    """The cursor key of a stream reading one backfill window: `orders@<start>..<end>`
    (UTC, to the second), so no window shares a cursor with another or with the
    live stream."""
    if window is None:
        return name
    start, end = (moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") for moment in window)
    return f"{name}@{start}..{end}"


def cursor_name(stream: SourceStream) -> str:
    """The key of the stream's cursor: its name, or, for a stream reading one
    backfill window, the window's own (`cursor_name`, e.g. `orders@<start>..<end>`)."""
    return getattr(stream, "cursor_name", stream.name)


@dataclass
class StreamResult:
    platform: str
    stream: str
    rows_landed: int = 0
    pages: int = 0
    quarantined: int = 0
    deleted: int = 0
    retries: int = 0
    rate_limit_waits: int = 0
    cursor_before: dict[str, Any] | None = None
    cursor_after: dict[str, Any] | None = None
    duration_s: float = 0.0


def _text(raw: Any) -> str:
    return payload_text(raw)


def _prefetched(pages: Iterator[Page], depth: int = 2) -> Iterator[Page]:
    """Fetch the next pages in a thread while the current one is being landed.

    Network time and warehouse time overlap instead of adding up; at most
    `depth` pages wait in memory. Pages come out in order, so each cursor still
    lands after the pages before it; an error in the fetching thread is raised
    here, after the pages fetched before it were landed.
    """
    queue: Queue[tuple[str, Any]] = Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for page in pages:
                while not stop.is_set():
                    try:
                        queue.put(("page", page), timeout=0.1)
                        break
                    except Full:
                        continue
                if stop.is_set():
                    return
            queue.put(("done", None))
        except BaseException as exc:  # handed to the consumer, re-raised there
            queue.put(("error", exc))

    worker = threading.Thread(target=produce, name="omnihub-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            kind, item = queue.get()
            if kind == "page":
                yield item
            elif kind == "error":
                raise item
            else:
                return
    finally:
        stop.set()
        worker.join(timeout=5)


def split_valid(
    raw_records: list[dict[str, Any]],
    *,
    id_of: Callable[[dict[str, Any]], Any],
    updated_at_of: Callable[[dict[str, Any]], datetime | None],
    deleted_of: Callable[[dict[str, Any]], bool] = lambda r: False,
) -> tuple[list[LandedRecord], list[QuarantinedRecord]]:
    """Records the pipeline can use, and the rest with the reason and their raw text."""
    good: list[LandedRecord] = []
    bad: list[QuarantinedRecord] = []
    for raw in raw_records:
        if not isinstance(raw, dict):
            bad.append(QuarantinedRecord("record is not a JSON object", _text(raw)))
            continue
        record_id = id_of(raw)
        if record_id in (None, ""):
            bad.append(QuarantinedRecord("missing id", _text(raw)))
            continue
        try:
            updated = updated_at_of(raw)
        except (TypeError, ValueError) as exc:
            reason = f"unparseable updated_at: {exc}"
            bad.append(QuarantinedRecord(reason, _text(raw), str(record_id)))
            continue
        good.append(LandedRecord(str(record_id), updated, raw, deleted_of(raw)))
    return good, bad


def run_stream(
    stream: SourceStream,
    landing: Landing,
    *,
    full_refresh: bool = False,
    batch_id: str | None = None,
    result: StreamResult | None = None,
) -> StreamResult:
    """Land the stream; `result`, when given, is filled as pages land, so a
    caller still knows what landed when the stream stops with an error."""
    # One writer per cursor, across runs, processes and Celery workers: two
    # readers of one cursor would land the same pages twice and the slower one
    # would move the cursor back. Held until the stream ends; the cursor is
    # read only once it is held, so a run that waited resumes where the other stopped.
    with landing.warehouse.named_lock(f"cursor:{stream.platform}/{cursor_name(stream)}"):
        return _run_stream(stream, landing, full_refresh, batch_id, result)


def _run_stream(
    stream: SourceStream,
    landing: Landing,
    full_refresh: bool,
    batch_id: str | None,
    result: StreamResult | None,
) -> StreamResult:
    started = time.perf_counter()
    batch_id = batch_id or uuid.uuid4().hex
    key = cursor_name(stream)
    if full_refresh:
        landing.reset_cursor(stream.platform, key)
    cursor = landing.get_cursor(stream.platform, key)
    result = result or StreamResult(stream.platform, stream.name)
    result.cursor_before = result.cursor_after = cursor
    stats_before = (stream.client.stats.retries, stream.client.stats.rate_limit_waits)
    try:
        with landing.warehouse.session():
            for page in _prefetched(stream.pages(cursor)):
                result.rows_landed += landing.land_page(
                    stream.platform,
                    stream.name,
                    page.records,
                    page.quarantined,
                    page.next_cursor,
                    batch_id,
                    cursor_stream=key,
                )
                if page.on_landed is not None:
                    page.on_landed()
                result.pages += 1
                result.quarantined += len(page.quarantined)
                result.deleted += sum(1 for r in page.records if r.deleted)
                result.cursor_after = page.next_cursor
    finally:
        result.retries = stream.client.stats.retries - stats_before[0]
        result.rate_limit_waits = stream.client.stats.rate_limit_waits - stats_before[1]
        result.duration_s = time.perf_counter() - started
    return result
