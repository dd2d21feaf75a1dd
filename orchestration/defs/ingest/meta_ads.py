"""Meta streams as raw assets."""

from functools import partial

from dagster import Definitions

from connectors.meta_ads.source import stream
from orchestration.defs.ingest.factory import stream_asset

_DESCRIPTIONS = {
    "campaigns": "Meta ad campaigns of the ad account (/act_{id}/campaigns), read whole.",
    "insights": "Daily campaign insights: spend, impressions, clicks, actions "
    "(/act_{id}/insights, level=campaign, time_increment=1); the last days are re-pulled "
    "as Meta restates them.",
    "leads": "Lead-form leads with their answers (/{form_id}/leads for each form of the "
    "Page), incrementally by time_created.",
}

defs = Definitions(
    assets=[
        stream_asset("meta_ads", name, partial(stream, name), description=text)
        for name, text in _DESCRIPTIONS.items()
    ]
)
