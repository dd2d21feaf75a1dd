"""What the Klaviyo-side cross-channel plays should push, read from the sandbox
world itself (its records and its ground truth), never from anything dbt built.

An independent reading of the rules of `new_social_leads`,
`social_lead_subscriptions`, `ad_informed_welcome` and `store_purchase_followup`:
the newest email consent statement of any platform, Meta lead forms and what
they answered, paid-ad landing pages, store purchases.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.integration.audience_truth import _dbt_vars, ts

CONSENT_QUESTION = "email_marketing_consent"


@dataclass
class Lead:
    lead_id: str
    at: datetime
    email: str | None
    consent: bool
    form_id: str
    campaign_id: str
    ad_id: str


@dataclass
class PersonFacts:
    statements: list[tuple[datetime, bool, str, str]] = field(default_factory=list)
    """(when, granted, state, platform) of every email consent statement."""
    bounced: bool = False
    leads: list[Lead] = field(default_factory=list)
    ad_clicks: list[tuple[datetime, str | None]] = field(default_factory=list)
    store_purchases: list[datetime] = field(default_factory=list)

    def newest(self) -> tuple[datetime, bool, str, str] | None:
        """The newest statement; at the same second, the platform first by name."""
        ranked = sorted(self.statements, key=lambda s: (-s[0].timestamp(), s[3]))
        return ranked[0] if ranked else None

    def consents(self) -> bool:
        """The newest statement grants email consent and no bounce vetoes it."""
        newest = self.newest()
        return bool(newest and newest[1] and not self.bounced)

    def consented_at(self) -> datetime | None:
        newest = self.newest()
        return newest[0] if newest else None

    def ever_unsubscribed(self) -> bool:
        return any(state == "unsubscribed" for _, _, state, _ in self.statements)


@dataclass
class PlayWorld:
    as_of: datetime
    people: dict[int, PersonFacts]
    lead_person: dict[str, int]
    """Lowercased lead email -> person."""
    vars: dict


def _is_ad_click(landing: str | None, v: dict) -> tuple[bool, str | None]:
    if not landing:
        return False, None
    query = parse_qs(urlsplit(landing).query)
    first = {k: vals[0] for k, vals in query.items()}
    paid = (
        first.get("utm_source") in v["analytics_ad_utm_sources"]
        and first.get("utm_medium") in v["analytics_ad_utm_mediums"]
    )
    clicked = any(p in first for p in v["analytics_ad_click_id_parameters"])
    return paid or clicked, first.get("utm_campaign")


def load(world_dir: Path) -> PlayWorld:
    world = sqlite3.connect(world_dir / "world.sqlite")
    truth = sqlite3.connect(world_dir / "truth.sqlite")
    owner = {
        (p, s, rid): person
        for p, s, rid, person in truth.execute(
            "select platform, stream, id, person_id from record_person"
        )
    }
    v = _dbt_vars()
    as_of = ts(world.execute("select value from meta where key = 'now'").fetchone()[0])
    people: dict[int, PersonFacts] = defaultdict(PersonFacts)
    lead_person: dict[str, int] = {}
    rows = world.execute("select platform, stream, id, payload from records where deleted = 0")
    for platform, stream, rid, text in rows:
        person_id = owner.get((platform, stream, rid))
        if person_id is None:
            continue
        p = people[person_id]
        payload = json.loads(text)
        if (platform, stream) == ("shopify", "customers"):
            consent = payload.get("email_marketing_consent") or {}
            if consent.get("state"):
                at = ts(consent.get("consent_updated_at") or payload["updated_at"])
                state = str(consent["state"]).lower()
                p.statements.append((at, state == "subscribed", state, "shopify"))
        elif (platform, stream) == ("klaviyo", "profiles"):
            marketing = payload["attributes"]["subscriptions"]["email"]["marketing"]
            state = marketing["consent"].lower()
            at = ts(marketing.get("consent_timestamp") or payload["attributes"]["updated"])
            p.statements.append((at, state == "subscribed", state, "klaviyo"))
            p.bounced = p.bounced or bool(marketing.get("suppression"))
        elif (platform, stream) == ("square", "customers"):
            if (payload.get("preferences") or {}).get("email_unsubscribed"):
                p.statements.append((ts(payload["updated_at"]), False, "unsubscribed", "square"))
        elif (platform, stream) == ("meta_ads", "leads"):
            answers = {f["name"]: f["values"][0] for f in payload["field_data"]}
            lead = Lead(
                lead_id=rid,
                at=ts(payload["created_time"]),
                email=answers.get("email"),
                consent=str(answers.get(CONSENT_QUESTION, "")).lower() in ("yes", "true", "1"),
                form_id=payload["form_id"],
                campaign_id=payload["campaign_id"],
                ad_id=payload["ad_id"],
            )
            p.leads.append(lead)
            if lead.consent:
                p.statements.append((lead.at, True, "subscribed", "meta_ads"))
            if lead.email:
                lead_person[lead.email.strip().lower()] = person_id
        elif (platform, stream) in (("shopify", "orders"), ("shopify", "checkouts")):
            clicked, campaign = _is_ad_click(payload.get("landing_site"), v)
            if clicked:
                p.ad_clicks.append((ts(payload["created_at"]), campaign))
        elif (platform, stream) == ("square", "orders"):
            return_only = not payload.get("line_items") and bool(payload.get("returns"))
            if payload.get("state") == "COMPLETED" and not return_only:
                p.store_purchases.append(ts(payload["created_at"]))
    return PlayWorld(as_of, dict(people), lead_person, v)


def new_leads(world: PlayWorld) -> set[int]:
    """People with a lead form in the window who may be emailed (the gate)."""
    since = world.as_of - timedelta(days=world.vars["new_lead_days"])
    return {
        pid
        for pid, p in world.people.items()
        if p.consents() and any(since < lead.at <= world.as_of for lead in p.leads)
    }


def subscribed_leads(world: PlayWorld) -> dict[int, tuple[str, datetime]]:
    """person -> (address, time) of the newest form that captured consent, for
    people who may be emailed and never unsubscribed anywhere."""
    out: dict[int, tuple[str, datetime]] = {}
    for pid, p in world.people.items():
        yes = [lead for lead in p.leads if lead.consent and lead.email and lead.at <= world.as_of]
        if yes and p.consents() and not p.ever_unsubscribed():
            newest = max(yes, key=lambda lead: (lead.at, lead.lead_id))
            out[pid] = (newest.email.strip().lower(), newest.at)  # type: ignore[union-attr]
    return out


def last_ad_touch(world: PlayWorld) -> dict[int, dict]:
    """Subscribers -> the welcome properties of their last ad touch at or before subscribing."""
    out: dict[int, dict] = {}
    for pid, p in world.people.items():
        subscribed_at = p.consented_at()
        if not p.consents() or subscribed_at is None:
            continue
        touches: list[tuple[datetime, dict]] = [
            (
                lead.at,
                {
                    "welcome_touch_type": "lead_form",
                    "welcome_campaign_id": lead.campaign_id,
                    "welcome_ad_id": lead.ad_id,
                    "welcome_form_id": lead.form_id,
                },
            )
            for lead in p.leads
        ]
        touches += [
            (at, {"welcome_touch_type": "ad_click", "welcome_campaign": campaign})
            for at, campaign in p.ad_clicks
        ]
        before = [t for t in touches if t[0] <= subscribed_at]
        if before:
            at, props = max(before, key=lambda t: t[0])
            out[pid] = {**props, "welcome_touched_at": at}
    return out


def store_followup(world: PlayWorld, held: set[int]) -> set[int]:
    since = world.as_of - timedelta(days=world.vars["store_followup_days"])
    return {
        pid
        for pid, p in world.people.items()
        if p.consents()
        and pid not in held
        and any(since < at <= world.as_of for at in p.store_purchases)
    }
