"""Shopify streams as raw assets."""

from dagster import Definitions

from connectors.shopify.source import (
    checkouts_stream,
    customers_stream,
    orders_stream,
    products_stream,
)
from orchestration.defs.ingest.factory import stream_asset

_PAGING = (
    "incrementally by updated_at_min with a lookback, paged by Link page_info; "
    "lands append-only in raw.shopify__{stream}."
)

defs = Definitions(
    assets=[
        stream_asset(
            "shopify",
            "customers",
            customers_stream,
            description="Shopify customers (GET /admin/api/{version}/customers.json) with "
            "email/SMS marketing consent, " + _PAGING.format(stream="customers"),
        ),
        stream_asset(
            "shopify",
            "orders",
            orders_stream,
            description="Shopify orders of every status with line items and refunds "
            "(GET orders.json?status=any), " + _PAGING.format(stream="orders"),
        ),
        stream_asset(
            "shopify",
            "checkouts",
            checkouts_stream,
            description="Shopify abandoned checkouts with their exact line items "
            "(GET checkouts.json), " + _PAGING.format(stream="checkouts"),
        ),
        stream_asset(
            "shopify",
            "products",
            products_stream,
            description="Shopify products with category (product_type) and variant "
            "inventory (GET products.json), " + _PAGING.format(stream="products"),
        ),
    ]
)
