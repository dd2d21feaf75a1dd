"""Square streams as raw assets."""

from functools import partial

from dagster import Definitions

from connectors.square.source import stream
from orchestration.defs.ingest.factory import stream_asset

_DESCRIPTIONS = {
    "customers": "Square customers (POST /v2/customers/search), incrementally by "
    "updated_at with a lookback.",
    "orders": "Square in-store orders with line items (POST /v2/orders/search per batch of "
    "10 locations), incrementally by updated_at, sorted ascending.",
    "loyalty_accounts": "Square loyalty accounts with balance and lifetime points "
    "(POST /v2/loyalty/accounts/search; no time filter exists, so read whole).",
}

defs = Definitions(
    assets=[
        stream_asset("square", name, partial(stream, name), description=text)
        for name, text in _DESCRIPTIONS.items()
    ]
)
