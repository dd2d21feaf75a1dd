"""Meta source streams: campaigns, daily campaign insights, lead-form leads.

- campaigns: `/act_{id}/campaigns`, small, read whole each run.
- insights: `/act_{id}/insights?level=campaign&time_increment=1` over a date
  window. Meta restates recent days as conversions attribute, so every run
  re-pulls the last `META_INSIGHTS_RESTATE_DAYS` (default 3) days before the
  last date already landed; rows are keyed `{campaign_id}:{date_start}` and
  staging keeps the latest load of each. Mid-window the cursor holds the next
  page's link, so a crash resumes at that page rather than re-pulling the window.
- leads: for each lead form of the Page (`/{page_id}/leadgen_forms`),
  `/{form_id}/leads` filtered on `time_created` after the form's cursor minus
  a lookback. The form's cursor moves only when that form was read to the end.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from connectors.errors import ConnectorError, NotConfigured
from connectors.http import HttpClient, json_of
from connectors.ingest import Page, split_valid
from connectors.meta_ads.client import MetaSettings, make_client
from connectors.timestamps import parse_ts

INSIGHT_FIELDS = (
    "account_id,campaign_id,campaign_name,date_start,date_stop,impressions,clicks,spend,actions"
)
CAMPAIGN_FIELDS = "id,account_id,name,objective,status,effective_status,created_time,updated_time"
LEAD_FIELDS = "id,created_time,ad_id,adset_id,campaign_id,form_id,field_data,is_organic,platform"


def _data(response: Any, stream: str) -> tuple[list[Any], str | None]:
    try:
        body = json_of(response)
        return body["data"], (body.get("paging") or {}).get("next")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConnectorError(
            f"meta/{stream}: a page was not the expected Graph API JSON ({type(exc).__name__}); "
            "nothing from it was landed. Rerun to resume."
        ) from None


def _walk(client: HttpClient, path: str, params: dict[str, Any], stream: str) -> Iterator[list]:
    for data, _next in _walk_from(client, path, params, stream):
        yield data


def _walk_from(
    client: HttpClient, path: str, params: dict[str, Any] | None, stream: str
) -> Iterator[tuple[list, str | None]]:
    """Each page with the link to the one after it (None after the last). A
    `paging.next` link carries every parameter and its `after` cursor, so a run
    can be resumed from one (Graph API: Using the Graph API > Paginated Results)."""
    url: str | None = path
    query: dict[str, Any] | None = params
    while url:
        data, url = _data(client.get(url, params=query), stream)
        query = None
        yield data, url


def _with_last(pages: Iterator[list]) -> Iterator[tuple[list, bool]]:
    """Each page and whether it is the last, holding only one page ahead."""
    previous = next(pages, None)
    while previous is not None:
        current = next(pages, None)
        yield previous, current is None
        previous = current


@dataclass
class Campaigns:
    client: HttpClient
    account: str
    name: str = "campaigns"
    platform: str = "meta_ads"

    def pages(self, cursor: dict[str, Any] | None) -> Iterator[Page]:
        params = {"fields": CAMPAIGN_FIELDS, "limit": 100}
        for data in _walk(self.client, f"act_{self.account}/campaigns", params, self.name):
            records, bad = split_valid(
                data,
                id_of=lambda r: r.get("id"),
                updated_at_of=lambda r: parse_ts(r.get("updated_time")),
            )
            yield Page(records, bad, {})


@dataclass
class Insights:
    client: HttpClient
    account: str
    restate_days: int = 3
    backfill_days: int = 400
    today: date | None = None
    name: str = "insights"
    platform: str = "meta_ads"

    def pages(self, cursor: dict[str, Any] | None) -> Iterator[Page]:
        until = self.today or datetime.now(UTC).date()
        last = (cursor or {}).get("last_date")
        since = (
            date.fromisoformat(last) - timedelta(days=self.restate_days)
            if last
            else until - timedelta(days=self.backfill_days)
        )
        params = {
            "level": "campaign",
            "time_increment": 1,
            "fields": INSIGHT_FIELDS,
            "time_range": json.dumps({"since": since.isoformat(), "until": until.isoformat()}),
            "limit": 500,
        }
        newest = last
        resume = (cursor or {}).get("next")
        if resume:
            # a run that died mid-window: go on from the page it had reached
            newest = (cursor or {}).get("newest") or last
        pages = _walk_from(
            self.client,
            resume or f"act_{self.account}/insights",
            None if resume else params,
            self.name,
        )
        for data, next_url in pages:
            records, bad = split_valid(
                data,
                id_of=lambda r: (
                    f"{r['campaign_id']}:{r['date_start']}"
                    if r.get("campaign_id") and r.get("date_start")
                    else None
                ),
                updated_at_of=lambda r: None,
            )
            for record in records:
                day = record.id.split(":", 1)[1]
                newest = max(newest or day, day)
            if next_url:
                mid: dict[str, Any] = {"next": next_url, "newest": newest}
                if last:
                    mid["last_date"] = last
                yield Page(records, bad, mid)
            else:
                yield Page(records, bad, {"last_date": newest} if newest else {})


@dataclass
class Leads:
    client: HttpClient
    page_id: str
    lookback: timedelta = timedelta(minutes=5)
    name: str = "leads"
    platform: str = "meta_ads"

    def pages(self, cursor: dict[str, Any] | None) -> Iterator[Page]:
        forms: dict[str, int] = dict((cursor or {}).get("forms") or {})
        form_ids = sorted(
            form["id"]
            for data in _walk(
                self.client, f"{self.page_id}/leadgen_forms", {"fields": "id"}, "forms"
            )
            for form in data
        )
        for form_id in form_ids:
            params: dict[str, Any] = {"fields": LEAD_FIELDS, "limit": 100}
            since = forms.get(form_id)
            if since:
                params["filtering"] = json.dumps(
                    [{"field": "time_created", "operator": "GREATER_THAN", "value": since}]
                )
            newest = since or 0
            chunks = _walk(self.client, f"{form_id}/leads", params, self.name)
            for data, final in _with_last(chunks):
                records, bad = split_valid(
                    data,
                    id_of=lambda r: r.get("id"),
                    updated_at_of=lambda r: parse_ts(r.get("created_time")),
                )
                for record in records:
                    if record.updated_at:
                        stamp = int((record.updated_at - self.lookback).timestamp())
                        newest = max(newest, stamp)
                if final and newest:
                    forms[form_id] = newest
                yield Page(records, bad, {"forms": dict(forms)})


STREAMS = ("campaigns", "insights", "leads")


def stream(name: str, env: Mapping[str, str]) -> Any:
    settings = MetaSettings.from_env(env)
    client = make_client(settings)
    if name == "campaigns":
        return Campaigns(client, settings.ad_account_id)
    if name == "insights":
        return Insights(
            client,
            settings.ad_account_id,
            restate_days=int(env.get("META_INSIGHTS_RESTATE_DAYS") or 3),
            backfill_days=int(env.get("META_INSIGHTS_BACKFILL_DAYS") or 400),
        )
    if name == "leads":
        if not settings.page_id:
            raise NotConfigured("Meta lead forms", ["META_PAGE_ID"])
        return Leads(client, settings.page_id)
    raise KeyError(f"unknown Meta stream {name!r}")
