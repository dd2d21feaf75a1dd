"""Backfills by platform and time window: `backfill/<platform>/<stream>`, one
partition per calendar month.

A backfill of months in the Dagster UI (or `dagster asset backfill`) launches one
step per stream and month; on Celery workers those steps run side by side. None
of them shares a cursor with another or with the daily run: each window reads
only the records updated in it (the vendor's own time filter) and keeps its own
cursor (`raw._cursors`, stream `orders@<start>..<end>`), so a window that fails
resumes where it stopped, and the live cursor the daily run moves is never
touched. Rows land in the same append-only raw table as the daily ingest;
staging keeps the latest version of each id, so a record on a window's edge
(both bounds are inclusive) or one the daily run also read lands twice and
counts once.

Only streams whose connector can read a window are here (`windowed(start, end)`):
Shopify's four (updated_at_min/updated_at_max) and Klaviyo's profiles and events
(greater-than/less-than on `updated`/`datetime`) so far. Streams read whole each
run (lists, metrics) need no backfill.
"""

import os
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

# no `from __future__ import annotations`: Dagster reads the config and
# resource parameter types at definition time
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Definitions,
    MaterializeResult,
    MonthlyPartitionsDefinition,
    asset,
)

from connectors.errors import ConnectorError, NotConfigured
from connectors.ingest import StreamResult, run_stream
from connectors.klaviyo.source import stream as klaviyo_stream
from connectors.shopify.source import (
    checkouts_stream,
    customers_stream,
    orders_stream,
    products_stream,
)
from orchestration.defs.ingest.factory import IngestConfig, stream_metadata
from orchestration.resources import WarehouseResource

# Far enough back for any shop's history; a month with nothing in it costs one call.
WINDOWS = MonthlyPartitionsDefinition(start_date="2020-01-01", end_offset=1)

WindowedFactory = Callable[[Mapping[str, str]], Any]

WINDOWED: dict[tuple[str, str], WindowedFactory] = {
    ("shopify", "customers"): customers_stream,
    ("shopify", "orders"): orders_stream,
    ("shopify", "checkouts"): checkouts_stream,
    ("shopify", "products"): products_stream,
    ("klaviyo", "profiles"): partial(klaviyo_stream, "profiles"),
    ("klaviyo", "events"): partial(klaviyo_stream, "events"),
}


def backfill_asset(platform: str, stream: str, build: WindowedFactory) -> AssetsDefinition:
    @asset(
        key=AssetKey(["backfill", platform, stream]),
        group_name="backfill",
        partitions_def=WINDOWS,
        kinds={"python", platform},
        owners=["team:data-platform"],
        tags={"layer": "raw", "platform": platform},
        description=f"Backfill of {platform}/{stream} one month at a time into "
        f"raw.{platform}__{stream}, each month under its own cursor (see module doc).",
    )
    def _backfill(
        context: AssetExecutionContext, config: IngestConfig, warehouse: WarehouseResource
    ) -> MaterializeResult:
        window = context.partition_time_window
        result = StreamResult(platform, stream)
        try:
            source = build(os.environ).windowed(window.start, window.end)
            run_stream(
                source,
                warehouse.landing(),
                full_refresh=config.full_refresh,
                batch_id=f"{context.run.run_id}:{context.partition_key}",
                result=result,
            )
        except (NotConfigured, ConnectorError) as exc:
            # a window is retried as a whole partition: fail it, keep what landed
            raise RuntimeError(
                f"{platform}/{stream} {context.partition_key}: {exc}. Pages landed before "
                "the error are kept with this window's cursor; rerun the partition to resume."
            ) from exc
        context.log.info(
            f"{platform}/{stream} {context.partition_key}: {result.rows_landed} rows in "
            f"{result.pages} pages"
        )
        return MaterializeResult(
            metadata={
                "window_start": window.start.isoformat(),
                "window_end": window.end.isoformat(),
                **stream_metadata(result),
            }
        )

    return _backfill


defs = Definitions(
    assets=[
        backfill_asset(platform, stream, build) for (platform, stream), build in WINDOWED.items()
    ]
)
