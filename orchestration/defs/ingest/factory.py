"""One Dagster asset per source stream, `raw/<platform>/<stream>`.

The asset only wires things: the stream (plain Python, from connectors/) reads
its settings from the environment when the run starts, `run_stream` lands it
page by page with its cursor, and the result becomes materialization metadata.

A platform that fails (not configured, credentials refused, its API down past
the retry budget) does not stop the other four: the asset still materializes
what it landed, its `ingest_completed` check fails with the reason (a warning,
so nothing downstream is blocked and the day's build runs on what is there),
and an alert is raised. Raising instead would make Dagster skip the dbt build
and every sync downstream of that one stream.
"""

import os
from collections.abc import Callable, Mapping
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
)

from connectors.errors import ConnectorError, NotConfigured
from connectors.ingest import StreamResult, run_stream
from orchestration import freshness
from orchestration.alerts import Alert, raise_alert
from orchestration.concurrency import cursor_pool
from orchestration.resources import WarehouseResource

CHECK = "ingest_completed"

StreamFactory = Callable[[Mapping[str, str]], Any]


class IngestConfig(Config):
    """Run-time options, settable in the launchpad."""

    full_refresh: bool = False
    """Forget the stored cursor and re-read the stream from the start (rows are
    appended; staging keeps the latest version per id, so nothing doubles)."""


def stream_metadata(result: StreamResult) -> dict[str, Any]:
    """What a stream's materialization shows of its run: what landed, the retries
    and waits it took, and the cursor before and after."""
    return {
        "rows_landed": result.rows_landed,
        "pages": result.pages,
        "quarantined": result.quarantined,
        "deleted": result.deleted,
        "retries": result.retries,
        "rate_limit_waits": result.rate_limit_waits,
        "cursor_before": MetadataValue.json(result.cursor_before or {}),
        "cursor_after": MetadataValue.json(result.cursor_after or {}),
        "duration_s": round(result.duration_s, 3),
    }


def stream_asset(
    platform: str,
    stream: str,
    build: StreamFactory,
    *,
    description: str,
    owners: list[str] | None = None,
) -> AssetsDefinition:
    key = AssetKey(["raw", platform, stream])

    @asset(
        key=key,
        group_name=f"raw_{platform}",
        description=description,
        kinds={"python", platform},
        owners=owners or ["team:data-platform"],
        tags={"layer": "raw", "platform": platform},
        freshness_policy=freshness.DAILY,
        pool=cursor_pool(platform, stream),
        check_specs=[
            AssetCheckSpec(
                CHECK,
                asset=key,
                description="The stream was read to its end this run (a warning when not: "
                "the rest of the day runs on what landed).",
            )
        ],
    )
    def _ingest(
        context: AssetExecutionContext, config: IngestConfig, warehouse: WarehouseResource
    ) -> MaterializeResult:
        result = StreamResult(platform, stream)
        failure: str | None = None
        try:
            run_stream(
                build(os.environ),
                warehouse.landing(),
                full_refresh=config.full_refresh,
                batch_id=context.run.run_id,
                result=result,
            )
        except NotConfigured as exc:
            failure = str(exc)
        except ConnectorError as exc:
            # Everything landed before the error is committed with its cursor:
            # a rerun resumes from there.
            failure = (
                f"{platform}/{stream}: {exc}. Pages landed before the error are kept with "
                "their cursor; rerun to resume."
            )
        if failure is not None:
            context.log.error(failure)
            raise_alert(
                Alert("ingest_failure", f"raw/{platform}/{stream}", failure, context.run.run_id),
                warehouse.get(),
            )
        else:
            context.log.info(
                f"{platform}/{stream}: {result.rows_landed} rows in {result.pages} pages, "
                f"{result.quarantined} quarantined"
            )
        return MaterializeResult(
            metadata={
                "status": "completed" if failure is None else "incomplete",
                **stream_metadata(result),
                "warehouse": warehouse.get().describe(),
                **({"error": failure} if failure else {}),
            },
            check_results=[
                AssetCheckResult(
                    check_name=CHECK,
                    passed=failure is None,
                    severity=AssetCheckSeverity.WARN,
                    description=failure or "read to the end",
                )
            ],
        )

    return _ingest
