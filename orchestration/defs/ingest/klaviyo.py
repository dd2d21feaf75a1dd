"""Klaviyo streams as raw assets."""

from functools import partial

from dagster import Definitions

from connectors.klaviyo.source import stream
from orchestration.defs.ingest.factory import stream_asset

_DESCRIPTIONS = {
    "profiles": "Klaviyo profiles with email subscription and suppression state "
    "(GET /api/profiles, additional-fields[profile]=subscriptions), incrementally by "
    "`updated` (sorted ascending) with a lookback.",
    "events": "Klaviyo events: Received/Opened/Clicked Email, Unsubscribed, Bounced, Viewed "
    "Product (GET /api/events), incrementally by `datetime` with a lookback.",
    "lists": "Klaviyo lists (GET /api/lists), read whole each run.",
    "metrics": "Klaviyo metrics, the event types (GET /api/metrics), read whole each run.",
}


defs = Definitions(
    assets=[
        stream_asset("klaviyo", name, partial(stream, name), description=text)
        for name, text in _DESCRIPTIONS.items()
    ]
)
