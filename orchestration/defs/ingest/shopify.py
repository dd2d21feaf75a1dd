"""Shopify streams as raw assets."""

from dagster import Definitions

from connectors.shopify.source import customers_stream
from orchestration.defs.ingest.factory import stream_asset

customers = stream_asset(
    "shopify",
    "customers",
    customers_stream,
    description=(
        "Shopify customers (GET /admin/api/{version}/customers.json), incrementally by "
        "updated_at_min with a lookback, paged by Link page_info; email/SMS marketing "
        "consent included. Lands append-only in raw.shopify__customers."
    ),
)

defs = Definitions(assets=[customers])
