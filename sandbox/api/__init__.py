"""The emulated vendor APIs, one module per platform, keyed by their URL prefix."""

from __future__ import annotations

from sandbox.api import klaviyo, meta, shopify, square, zendesk
from sandbox.api.base import Platform

PLATFORMS: dict[str, Platform] = {
    api.prefix: api for api in (klaviyo.API, meta.API, square.API, shopify.API, zendesk.API)
}
