"""The five destinations as one table (Klaviyo's list with known profiles and
with profiles its import creates, Zendesk's tags and fields), for tests that
hurt a sync and check the outcome the same way everywhere: what each platform
holds for an audience (read from the emulator's world, not from the adapter),
and who each applied write in the emulator's log added, so "nobody was added
twice" is one function.

A member is named by the identity the platform keys it by: a Klaviyo profile
id (or the email of a profile the import created), the SHA-256 of the email
Meta was sent, a Square / Shopify / Zendesk customer or user id.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import import_module
from typing import Any
from urllib.parse import parse_qs

from connectors.sync.destination import Destination, Row
from connectors.sync.engine import SyncSpec
from sandbox.store import WorldStore
from tests.integration.helpers import world_ids

TIER = "omnihub_faults_tier"


@dataclass(frozen=True)
class Case:
    """One destination: its sync, how to make rows for it, how to read it back."""

    platform: str
    """The emulator's platform name (write log, world records)."""
    spec: SyncSpec
    batch: int
    """Rows per batch in these tests: small, so a sync has several batches."""
    rows: Callable[[WorldStore, int], list[dict[str, Any]]]
    identity: Callable[[Row], str]
    held: Callable[[WorldStore], set[str]]
    added: Callable[[dict[str, Any]], list[str]]
    """The identities one applied write in the log added (empty for other writes)."""
    imports: int = 0
    """Writes an add batch makes before its membership change (profile imports)."""
    per_member: bool = False
    """The vendor takes one member a call (Square groups, Zendesk tags): a batch
    is `batch` writes, and a kill inside one leaves some of them applied."""

    def writes(self, rows: int) -> int:
        """The writes a run makes for `rows` members of one operation."""
        return rows if self.per_member else -(-rows // self.batch)

    def destination(self, env: dict[str, str]) -> Destination:
        """The real adapter, with small batches, and its client's waits cut
        short (Zendesk's job polls wait a second first; tests need not)."""
        module = import_module(f"connectors.{self.spec.destination}.destination")
        dest = module.make_destination(self.spec, env)
        dest.batch_size = self.batch
        dest.client.sleep = FastSleep()
        return dest


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def applied(write: dict[str, Any]) -> bool:
    """A write the platform accepted: 2xx and not refused in band."""
    return 200 <= write["status"] < 300 and not write.get("error")


# -- rows ------------------------------------------------------------------------
def _ids(platform: str, stream: str, column: str) -> Callable[[WorldStore, int], list[dict]]:
    def rows(world: WorldStore, n: int) -> list[dict[str, Any]]:
        ids = world_ids(world, platform, stream)
        assert len(ids) >= n, f"the world has {len(ids)} {platform} {stream}, {n} needed"
        return [{"customer_id": f"p{i:03d}", column: pid} for i, pid in enumerate(ids[:n])]

    return rows


def _zendesk_field_rows(world: WorldStore, n: int) -> list[dict[str, Any]]:
    rows = _ids("zendesk", "users", "zendesk_user_id")(world, n)
    return [{**row, TIER: "gold"} for row in rows]


def _new_email_rows(world: WorldStore, n: int) -> list[dict[str, Any]]:
    # People Klaviyo does not know yet: the import creates their profiles, so
    # the row never carries the profile id the list change is made with.
    return [{"customer_id": f"p{i:03d}", "email": f"New.Shopper{i}@Example.org"} for i in range(n)]


def _meta_rows(world: WorldStore, n: int) -> list[dict[str, Any]]:
    # Mixed case and padding: what reaches Meta must be the hash of the normalized value.
    return [{"customer_id": f"p{i:03d}", "email": f" Shopper.{i}@Example.COM "} for i in range(n)]


# -- what the platform holds ---------------------------------------------------------
def klaviyo_held(name: str) -> Callable[[WorldStore], set[str]]:
    def held(world: WorldStore) -> set[str]:
        lists = world.named("klaviyo", "lists", name)
        assert len(lists) <= 1, f"Klaviyo list {name} created {len(lists)} times"
        return {k for _, k in world.members("klaviyo", lists[0].id, "profile")} if lists else set()

    return held


def klaviyo_emails_held(name: str) -> Callable[[WorldStore], set[str]]:
    """The lower-cased emails of the profiles in the list."""
    by_id = klaviyo_held(name)

    def held(world: WorldStore) -> set[str]:
        out = set()
        for pid in by_id(world):
            record = world.get_record("klaviyo", "profiles", pid)
            assert record is not None
            out.add(str(record.payload["attributes"]["email"]).lower())
        return out

    return held


def meta_held(name: str) -> Callable[[WorldStore], set[str]]:
    def held(world: WorldStore) -> set[str]:
        ids = world.audiences_named("meta_ads", name)
        assert len(ids) <= 1, f"Meta audience {name} created {len(ids)} times"
        if not ids:
            return set()
        members = world.members("meta_ads", ids[0])
        assert {t for t, _ in members} <= {"EMAIL"}, members
        return {k for _, k in members}

    return held


def _square_held(name: str) -> Callable[[WorldStore], set[str]]:
    def held(world: WorldStore) -> set[str]:
        groups = world.named("square", "customer_groups", name)
        assert len(groups) <= 1, f"Square group {name} created {len(groups)} times"
        return set(world.in_group(groups[0].id)) if groups else set()

    return held


def _tagged(platform: str, stream: str, tag: str) -> Callable[[WorldStore], set[str]]:
    return lambda world: set(world.tagged(platform, stream, tag))


def _zendesk_with_field(world: WorldStore) -> set[str]:
    """Zendesk users holding a value in the field (a removed member's is cleared)."""
    rows = world.conn.execute(
        "select id from records where platform = 'zendesk' and stream = 'users' "
        "and deleted = 0 and json_extract(payload, ?) is not null",
        (f"$.user_fields.{TIER}",),
    )
    return {r[0] for r in rows}


# -- who a write added ------------------------------------------------------------------
def _klaviyo_added(write: dict[str, Any]) -> list[str]:
    if write["method"] != "POST" or not write["path"].endswith("/relationships/profiles"):
        return []
    return [item["id"] for item in json.loads(write["body"])["data"]]


def _meta_added(write: dict[str, Any]) -> list[str]:
    if write["method"] != "POST" or not write["path"].endswith("/users"):
        return []
    payload = json.loads(parse_qs(write["body"])["payload"][0])
    at = payload["schema"].index("EMAIL")
    return [row[at] for row in payload["data"] if row[at]]


_SQUARE_ADD = re.compile(r"/v2/customers/([^/]+)/groups/[^/]+$")
_ZENDESK_ADD = re.compile(r"/api/v2/users/(\d+)/tags(\.json)?$")


def _square_added(write: dict[str, Any]) -> list[str]:
    match = _SQUARE_ADD.search(write["path"])
    return [match.group(1)] if match and write["method"] == "PUT" else []


def _shopify_added(write: dict[str, Any]) -> list[str]:
    if not write["path"].endswith("/graphql.json") or not write["body"]:
        return []
    body = json.loads(write["body"])
    if "tagsAdd" not in body.get("query", ""):
        return []
    variables = body.get("variables") or {}
    return [
        str(v).rsplit("/", 1)[-1] for k, v in sorted(variables.items()) if re.fullmatch(r"id\d+", k)
    ]


def _zendesk_fields_added(write: dict[str, Any]) -> list[str]:
    if write["method"] != "PUT" or "/users/update_many" not in write["path"]:
        return []
    users = json.loads(write["body"])["users"]
    return [str(u["id"]) for u in users if (u.get("user_fields") or {}).get(TIER) is not None]


def _zendesk_added(write: dict[str, Any]) -> list[str]:
    match = _ZENDESK_ADD.search(write["path"].split("?")[0])
    return [match.group(1)] if match and write["method"] == "PUT" else []


def _spec(
    destination: str, obj: str, target: str, key: str, fields: Sequence[str] = ()
) -> SyncSpec:
    name = f"faults__{destination}__{obj}__{target}"
    return SyncSpec(name, destination, obj, target, "mirror", key, tuple(fields))


CASES: dict[str, Case] = {
    "klaviyo": Case(
        "klaviyo",
        _spec("klaviyo", "list", "omnihub-faults", "customer_id", ("klaviyo_profile_id",)),
        3,
        _ids("klaviyo", "profiles", "klaviyo_profile_id"),
        lambda row: str(row["klaviyo_profile_id"]),
        klaviyo_held("omnihub-faults"),
        _klaviyo_added,
    ),
    "klaviyo_new_profiles": Case(
        "klaviyo",
        _spec("klaviyo", "list", "omnihub-faults-new", "customer_id", ("email",)),
        3,
        _new_email_rows,
        lambda row: str(row["email"]).strip().lower(),
        klaviyo_emails_held("omnihub-faults-new"),
        _klaviyo_added,
        imports=3,
    ),
    "meta_ads": Case(
        "meta_ads",
        _spec("meta_ads", "custom_audience", "omnihub-faults", "customer_id", ("email",)),
        3,
        _meta_rows,
        lambda row: sha(str(row["email"]).strip().lower()),
        meta_held("omnihub-faults"),
        _meta_added,
    ),
    "square": Case(
        "square",
        _spec("square", "customer_group", "omnihub-faults", "square_customer_id"),
        3,
        _ids("square", "customers", "square_customer_id"),
        lambda row: str(row["square_customer_id"]),
        _square_held("omnihub-faults"),
        _square_added,
        per_member=True,
    ),
    "shopify": Case(
        "shopify",
        _spec("shopify", "customer_tag", "omnihub-faults", "shopify_customer_id"),
        3,
        _ids("shopify", "customers", "shopify_customer_id"),
        lambda row: str(row["shopify_customer_id"]),
        _tagged("shopify", "customers", "omnihub-faults"),
        _shopify_added,
    ),
    "zendesk": Case(
        "zendesk",
        _spec("zendesk", "user_tag", "omnihub_faults", "zendesk_user_id"),
        3,
        _ids("zendesk", "users", "zendesk_user_id"),
        lambda row: str(row["zendesk_user_id"]),
        _tagged("zendesk", "users", "omnihub_faults"),
        _zendesk_added,
        per_member=True,
    ),
    "zendesk_fields": Case(
        "zendesk",
        _spec("zendesk", "user_field", TIER, "zendesk_user_id", (TIER,)),
        3,
        _zendesk_field_rows,
        lambda row: str(row["zendesk_user_id"]),
        _zendesk_with_field,
        _zendesk_fields_added,
    ),
}


def added_twice(case: Case, writes: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Identities that applied writes added more than once, with how often."""
    counts = Counter(i for w in writes if applied(w) for i in case.added(w))
    return {identity: n for identity, n in counts.items() if n > 1}


class FastSleep:
    """The HTTP layer's sleep, recorded and cut short: a test sees every wait the
    client chose (so it can check the vendor's Retry-After was honoured) without
    spending it."""

    def __init__(self, cap: float = 0.005) -> None:
        self.cap = cap
        self.asked: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        time.sleep(min(seconds, self.cap))
