"""Zendesk streams as raw assets."""

from functools import partial

from dagster import Definitions

from connectors.zendesk.source import stream
from orchestration.defs.ingest.factory import stream_asset

_DESCRIPTIONS = {
    "users": "Zendesk end users through the cursor-based incremental export "
    "(/api/v2/incremental/users/cursor.json), resuming from Zendesk's after_cursor.",
    "tickets": "Zendesk tickets through the cursor-based incremental export "
    "(/api/v2/incremental/tickets/cursor.json); deleted tickets land flagged as deletions.",
    "satisfaction_ratings": "Zendesk CSAT ratings (/api/v2/satisfaction_ratings), by "
    "updated_at with a lookback.",
}

defs = Definitions(
    assets=[
        stream_asset("zendesk", name, partial(stream, name), description=text)
        for name, text in _DESCRIPTIONS.items()
    ]
)
