"""Meta Marketing API objects: campaigns, daily campaign insights, lead-form leads.

Shapes per the Graph API reference: insights rows with numeric strings and an
`actions` list; leads with `field_data` [{name, values}] as the lead form
captured them (including a custom consent question).
"""

from __future__ import annotations

import random
from datetime import timedelta

from sandbox.store import Record
from sandbox.world.context import WorldContext, meta_ts, record
from sandbox.world.mess import platform_email, platform_phone
from sandbox.world.people import Person

PLATFORM = "meta_ads"
ACCOUNT_ID = "1000000000000001"
CAMPAIGNS = (
    ("120200000000001", "Spring Footwear - Prospecting", "OUTCOME_SALES"),
    ("120200000000002", "Newsletter Lead Form", "OUTCOME_LEADS"),
    ("120200000000003", "Loyalty Retargeting", "OUTCOME_SALES"),
    ("120200000000004", "Store Visits - Metro", "OUTCOME_AWARENESS"),
    ("120200000000005", "Outerwear Launch", "OUTCOME_TRAFFIC"),
)
FORMS = ("3100000000000001", "3100000000000002")
CONSENT_QUESTION = "email_marketing_consent"

Truth = tuple[str, str, str, int]


def catalog_records(ctx: WorldContext) -> list[Record]:
    """Campaigns and one insights row per campaign per day of the span."""
    rng = random.Random(ctx.seed * 17 + 3)
    out = []
    for cid, name, objective in CAMPAIGNS:
        out.append(
            record(
                PLATFORM,
                "campaigns",
                cid,
                ctx.start,
                ctx.start,
                {
                    "id": cid,
                    "account_id": ACCOUNT_ID,
                    "name": name,
                    "objective": objective,
                    "status": "ACTIVE",
                    "effective_status": "ACTIVE",
                    "created_time": meta_ts(ctx.start),
                    "updated_time": meta_ts(ctx.start),
                },
            )
        )
    out.extend(insights_for_days(ctx, rng, 0, ctx.days))
    return out


def insights_for_days(ctx: WorldContext, rng: random.Random, first: int, last: int) -> list[Record]:
    out = []
    for d in range(first, last):
        day = ctx.start + timedelta(days=d)
        stamp = min(day + timedelta(days=1, hours=3), ctx.now - timedelta(seconds=1))
        for cid, name, _ in CAMPAIGNS:
            impressions = rng.randrange(800, 12000)
            clicks = max(1, int(impressions * rng.uniform(0.005, 0.03)))
            conversions = int(clicks * rng.uniform(0.01, 0.08))
            out.append(
                record(
                    PLATFORM,
                    "insights",
                    f"{cid}:{day.date().isoformat()}",
                    stamp,
                    stamp,
                    {
                        "account_id": ACCOUNT_ID,
                        "campaign_id": cid,
                        "campaign_name": name,
                        "date_start": day.date().isoformat(),
                        "date_stop": day.date().isoformat(),
                        "impressions": str(impressions),
                        "clicks": str(clicks),
                        "spend": f"{impressions * rng.uniform(0.004, 0.012):.2f}",
                        "actions": [
                            {"action_type": "link_click", "value": str(clicks)},
                            {"action_type": "purchase", "value": str(conversions)},
                        ],
                    },
                )
            )
    return out


def render(
    person: Person, email: str, ctx: WorldContext, rng: random.Random
) -> tuple[list[Record], list[Truth]]:
    if not person.lead:
        return [], []
    at = ctx.moment(rng, person.first_seen)
    lid = str(900_000_000_000_000 + person.person_id)
    campaign = CAMPAIGNS[1] if rng.random() < 0.7 else rng.choice(CAMPAIGNS)
    the_email = platform_email(person, email, rng, ctx.noise) or email
    phone = platform_phone(person, rng, ctx.noise)
    fields = [
        {"name": "email", "values": [the_email]},
        {"name": "full_name", "values": [f"{person.first_name} {person.last_name}"]},
        {"name": CONSENT_QUESTION, "values": [rng.choice(("yes", "yes", "no"))]},
    ]
    if phone:
        fields.append({"name": "phone_number", "values": [phone]})
    payload = {
        "id": lid,
        "created_time": meta_ts(at),
        "ad_id": f"2385{campaign[0][-4:]}{rng.randrange(10)}",
        "adset_id": f"2384{campaign[0][-4:]}",
        "campaign_id": campaign[0],
        "form_id": FORMS[0] if campaign[0] == CAMPAIGNS[1][0] else FORMS[1],
        "is_organic": False,
        "platform": rng.choice(("fb", "ig")),
        "field_data": fields,
    }
    return [record(PLATFORM, "leads", lid, at, at, payload)], [
        (PLATFORM, "leads", lid, person.person_id)
    ]
