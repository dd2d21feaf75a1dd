"""One Dagster asset per source stream, `raw/<platform>/<stream>`.

The asset only wires things: the stream (plain Python, from connectors/) reads
its settings from the environment when the run starts, `run_stream` lands it
page by page with its cursor, and the result becomes materialization metadata.
"""

import os
from collections.abc import Callable, Mapping
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)

from connectors.errors import ConnectorError, NotConfigured
from connectors.ingest import run_stream
from orchestration.resources import WarehouseResource

StreamFactory = Callable[[Mapping[str, str]], Any]


class IngestConfig(Config):
    """Run-time options, settable in the launchpad."""

    full_refresh: bool = False
    """Forget the stored cursor and re-read the stream from the start (rows are
    appended; staging keeps the latest version per id, so nothing doubles)."""


def stream_asset(
    platform: str,
    stream: str,
    build: StreamFactory,
    *,
    description: str,
    owners: list[str] | None = None,
) -> AssetsDefinition:
    @asset(
        key=AssetKey(["raw", platform, stream]),
        group_name=f"raw_{platform}",
        description=description,
        kinds={"python", platform},
        owners=owners or ["team:data-platform"],
        tags={"layer": "raw", "platform": platform},
    )
    def _ingest(
        context: AssetExecutionContext, config: IngestConfig, warehouse: WarehouseResource
    ) -> MaterializeResult:
        try:
            source = build(os.environ)
        except NotConfigured as exc:
            raise Failure(description=str(exc), allow_retries=False) from exc
        try:
            result = run_stream(
                source,
                warehouse.landing(),
                full_refresh=config.full_refresh,
                batch_id=context.run.run_id,
            )
        except ConnectorError as exc:
            # Everything landed before the error is committed with its cursor:
            # a rerun resumes from there.
            raise Failure(
                description=f"{platform}/{stream}: {exc}. Pages landed before the error are "
                "kept with their cursor; rerun to resume.",
            ) from exc
        context.log.info(
            f"{platform}/{stream}: {result.rows_landed} rows in {result.pages} pages, "
            f"{result.quarantined} quarantined"
        )
        return MaterializeResult(
            metadata={
                "rows_landed": result.rows_landed,
                "pages": result.pages,
                "quarantined": result.quarantined,
                "deleted": result.deleted,
                "retries": result.retries,
                "rate_limit_waits": result.rate_limit_waits,
                "cursor_before": MetadataValue.json(result.cursor_before or {}),
                "cursor_after": MetadataValue.json(result.cursor_after or {}),
                "duration_s": round(result.duration_s, 3),
                "warehouse": warehouse.get().describe(),
            }
        )

    return _ingest
