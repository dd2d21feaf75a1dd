"""What every synced audience should be at its destination, and what the
emulator's world holds there, read back independently of the sync state.

Expected: the audience model's rows, minus what the gate holds back (consent,
erasure, the declared suppression lists), mapped to the member the vendor
keeps (a Klaviyo profile id, found by id, email or phone as Klaviyo's profile
import matches them; Meta's strongest hashed identifier; a Square, Shopify or
Zendesk customer id). Actual: the list, audience, group or tag in the world store.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from connectors.sync.adapter import jsonable
from connectors.sync.gate import load_gate, required_lists
from connectors.sync.hashing import normalize_email
from orchestration.defs.activation.declarations import SyncDeclaration, load_declarations
from sandbox.api import meta as meta_api
from sandbox.store import WorldStore
from tests.integration.pipeline import PROJECT
from warehouse import Warehouse

IDENTIFIERS = ("email", "phone_e164", "klaviyo_profile_id")
# upserted fields: (member, field) pairs, every non-empty value the model holds
FIELD_KINDS = (("square", "customer_custom_attributes"), ("zendesk", "user_field"))


@dataclass(frozen=True)
class Membership:
    """One destination object: who should be there, who is."""

    sync: str
    sync_name: str
    """As in the sync state (`<declaration>:<value>` for a part of a split sync)."""
    kind: tuple[str, str]
    target: str
    expected: frozenset[Any]
    actual: frozenset[Any]
    exact: bool
    """Mirror syncs must match exactly; add-only/upsert ones must hold at least
    the audience (they keep earlier members, except people gated or gone)."""

    def holds(self) -> bool:
        return self.expected == self.actual if self.exact else self.expected <= self.actual

    def has(self, key: str, ref: str | None) -> bool | None:
        """Does the destination hold the member the state recorded as (key, ref)?
        None for the Klaviyo suppression list (never lifted by a sync, by design)."""
        member = member_of(self.kind, key, ref)
        if member is None:
            return None
        if self.kind == ("klaviyo", "profile_properties"):
            return ref in {profile for profile, _ in self.actual}
        if self.kind in FIELD_KINDS:
            return key in {holder for holder, _ in self.actual}
        return member in self.actual

    def explain(self) -> str:
        return (
            f"{self.sync} -> {self.target}: expected {len(self.expected)}, found "
            f"{len(self.actual)}; missing {sorted(map(str, self.expected - self.actual))[:3]}, "
            f"extra {sorted(map(str, self.actual - self.expected))[:3]}"
        )


def member_of(kind: tuple[str, str], key: str, ref: str | None) -> Any:
    """What the destination holds for a row the sync state recorded, in the form
    `Membership.actual` has it; None for the Klaviyo suppression list."""
    if kind in (("klaviyo", "list"), ("klaviyo", "profile_properties")):
        return ref
    if kind == ("meta_ads", "custom_audience"):
        return meta_api._member(list(json.loads(ref or "{}").items()))
    if kind in (("klaviyo", "suppression"), ("klaviyo", "subscription")):
        return None  # a sync never lifts a suppression nor unsubscribes anyone
    return key


def declarations() -> list[SyncDeclaration]:
    return load_declarations(PROJECT / "target" / "manifest.json")


def gated_rows(warehouse: Warehouse, declaration: SyncDeclaration) -> list[dict[str, Any]]:
    """The model's rows that pass the gate and name a member (the sync's key)."""
    lists = required_lists(declaration.destination, declaration.object, declaration.suppressions)
    gate = load_gate(warehouse, lists)
    with warehouse.transaction() as conn:
        rows = [
            dict(r._mapping)
            for r in conn.execute(
                sa.text(f"select {', '.join(declaration.columns)} from {declaration.relation}")
            )
        ]
    return [r for r in rows if gate.refusal(r) is None and r.get(declaration.key) not in (None, "")]


def _klaviyo_profile(store: WorldStore, row: Mapping[str, Any]) -> str | None:
    """The profile Klaviyo keeps for a row: its id, else the one its email
    names, else the one its phone names (as profile-import matches them)."""
    if row.get("klaviyo_profile_id"):
        return str(row["klaviyo_profile_id"])
    email = normalize_email(row.get("email"))
    phone = row.get("phone_e164") or row.get("phone")
    for path, value in (("email", email), ("phone_number", phone)):
        if not value:
            continue
        found = store.conn.execute(
            "select id from records where platform = 'klaviyo' and stream = 'profiles' "
            f"and deleted = 0 and lower(json_extract(payload, '$.attributes.{path}')) = lower(?) "
            "order by id limit 1",
            (str(value).strip(),),
        ).fetchone()
        if found:
            return found[0]
        if path == "email":
            return None
    return None


def _by_target(declaration: SyncDeclaration, rows: list[dict]) -> dict[tuple[str, str], list[dict]]:
    """(sync name, destination object name) -> its rows."""
    if not declaration.split_by:
        return {(declaration.sync_name, declaration.name): rows}
    parts: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        value = row[declaration.split_by]
        key = (f"{declaration.sync_name}:{value}", f"{declaration.name}-{value}")
        parts.setdefault(key, []).append(row)
    return parts


def memberships(
    warehouse: Warehouse, store: WorldStore, env: Mapping[str, str]
) -> list[Membership]:
    """Every synced audience x destination object, expected against actual."""
    out: list[Membership] = []
    for d in declarations():
        kind = (d.destination, d.object)
        sync = f"{d.model} -> {d.destination} {d.object}"
        for (name, target), rows in _by_target(d, gated_rows(warehouse, d)).items():
            expected, actual = _read(d, target, rows, store, env)
            out.append(
                Membership(
                    sync,
                    name,
                    kind,
                    target,
                    frozenset(expected),
                    frozenset(actual),
                    d.mode == "mirror",
                )
            )
    return out


def _profiles(store: WorldStore) -> list[tuple[str, dict]]:
    return [
        (pid, json.loads(payload)["attributes"])
        for pid, payload in store.conn.execute(
            "select id, payload from records where platform = 'klaviyo' and stream = 'profiles' "
            "and deleted = 0"
        )
    ]


def _suppressed(attrs: dict) -> bool:
    marketing = ((attrs.get("subscriptions") or {}).get("email") or {}).get("marketing") or {}
    return any(s.get("reason") == "USER_SUPPRESSED" for s in marketing.get("suppression") or [])


def _json(value: Any) -> str:
    """A property value in one comparable, hashable form (lists included)."""
    return json.dumps(value, sort_keys=True, default=str)


def _properties(
    d: SyncDeclaration, rows: list[dict], store: WorldStore
) -> tuple[set[Any], set[Any]]:
    """Two customers can name one profile (a shared email identity kept apart):
    both imports land on it and the last one's values stay. So a profile must
    hold the values of one of the rows that name it."""
    names = [f for f in d.fields if f not in IDENTIFIERS]
    candidates: dict[str, set[tuple]] = {}
    for r in rows:
        if profile := _klaviyo_profile(store, r):
            # as the adapter writes them: timestamps as ISO text, decimals as numbers
            candidates.setdefault(profile, set()).add(
                tuple(_json(jsonable(r.get(n))) for n in names)
            )
    actual: set[Any] = set()
    for pid, attrs in _profiles(store):
        props = attrs.get("properties") or {}
        if any(n in props for n in names):
            values = tuple(_json(props.get(n)) for n in names)
            actual.add((pid, values if values in candidates.get(pid, set()) else ("wrong",)))
    held = dict(actual)
    expected = {(p, held[p] if held.get(p) in c else min(c)) for p, c in candidates.items()}
    return expected, actual


def _read(
    d: SyncDeclaration,
    target: str,
    rows: list[dict],
    store: WorldStore,
    env: Mapping[str, str],
) -> tuple[set[Any], set[Any]]:
    kind = (d.destination, d.object)
    if kind == ("klaviyo", "list"):
        expected = {p for r in rows if (p := _klaviyo_profile(store, r))}
        lists = store.named("klaviyo", "lists", target)
        assert len(lists) <= 1, f"{target}: {len(lists)} Klaviyo lists of that name"
        actual = {k for lst in lists for _, k in store.members("klaviyo", lst.id, "profile")}
        return expected, actual
    if kind == ("klaviyo", "suppression"):
        expected = {e for r in rows if (e := normalize_email(r.get("email")))}
        actual = {
            normalize_email(attrs.get("email"))
            for _, attrs in _profiles(store)
            if _suppressed(attrs)
        }
        return expected, actual
    if kind == ("klaviyo", "profile_properties"):
        return _properties(d, rows, store)
    if kind == ("meta_ads", "custom_audience"):
        from connectors.meta_ads.destination import make_destination
        from orchestration.defs.activation.factory import _spec

        adapter = make_destination(_spec(d), env)
        expected = set()
        for r in rows:
            ref = adapter.ref_of(r)
            if ref:
                expected.add(meta_api._member(list(json.loads(ref).items())))
        ids = store.audiences_named("meta_ads", target)
        assert len(ids) <= 1, f"{target}: {len(ids)} Meta audiences of that name"
        return expected, {m for i in ids for m in store.members("meta_ads", i)}
    if kind == ("square", "customer_group"):
        groups = store.named("square", "customer_groups", target)
        assert len(groups) <= 1, f"{target}: {len(groups)} Square groups of that name"
        actual = {c for g in groups for c in store.in_group(g.id)}
        return {str(r[d.key]) for r in rows}, actual
    if kind == ("shopify", "customer_tag"):
        return {str(r[d.key]) for r in rows}, set(store.tagged("shopify", "customers", target))
    if kind == ("zendesk", "user_tag"):
        return {str(r[d.key]) for r in rows}, set(store.tagged("zendesk", "users", target))
    if kind == ("klaviyo", "subscription"):
        # a row naming the person's profile at the form's address is subscribed
        # there (by id); one without, at the address it gives
        expected = {
            ("profile", str(r["klaviyo_profile_id"]))
            if r.get("klaviyo_profile_id")
            else ("email", normalize_email(r.get("email")))
            for r in rows
            if r.get("klaviyo_profile_id") or normalize_email(r.get("email"))
        }
        subscribed = [
            (pid, attrs) for pid, attrs in _profiles(store) if _email_consent(attrs) == "SUBSCRIBED"
        ]
        return expected, {("profile", pid) for pid, _ in subscribed} | {
            ("email", normalize_email(attrs.get("email"))) for _, attrs in subscribed
        }
    if kind in FIELD_KINDS:
        fields = [f for f in d.fields if f != d.key]
        expected = {(str(r[d.key]), f) for r in rows for f in fields if r.get(f) not in (None, "")}
        return expected, _held_fields(store, kind)
    raise AssertionError(f"no reader for {kind}: add one so its sync is checked too")


def _email_consent(attrs: dict) -> str | None:
    return (((attrs.get("subscriptions") or {}).get("email") or {}).get("marketing") or {}).get(
        "consent"
    )


def _held_fields(store: WorldStore, kind: tuple[str, str]) -> set[tuple[str, str]]:
    """(member, field) for every value set at the destination: Square keeps one
    record per customer and key; Zendesk a user's `user_fields` map."""
    if kind == ("square", "customer_custom_attributes"):
        return {
            tuple(rid.split(":", 1))
            for (rid,) in store.conn.execute(
                "select id from records where platform = 'square' "
                "and stream = 'customer_custom_attributes' and deleted = 0"
            )
        }
    held = set()
    for uid, payload in store.conn.execute(
        "select id, payload from records where platform = 'zendesk' and stream = 'users' "
        "and deleted = 0"
    ):
        for name, value in (json.loads(payload).get("user_fields") or {}).items():
            if value not in (None, ""):
                held.add((uid, name))
    return held
