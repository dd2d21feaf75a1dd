"""Zendesk user tags and user fields as sync destinations.

References (https://developer.zendesk.com/api-reference/):
- Tags (ticketing/ticket-management/tags): "Add Tags" is `PUT /api/v2/users/{id}/tags`
  and adds to the user's tags; "Remove Tags" is `DELETE` on the same path with the
  tags to take away; "Set Tags" is `POST` and *replaces* every tag, so it is never
  used (it would clobber tags set by agents, triggers and other apps). Update Many
  Users cannot add a tag either: its `tags` replaces the list too. So a tag is
  one call per member, committed MEMBERS_PER_COMMIT at a time.
- Users (ticketing/users/users): Update Many Users `PUT /api/v2/users/update_many`
  with `{"users": [{"id", "user_fields": {...}}]}`, at most 100 a request, answers
  a job status; Show Job Status `GET /api/v2/job_statuses/{id}` until `completed`,
  whose `results` say per user whether it was updated.
- User Fields (ticketing/users/user_fields): `GET /api/v2/user_fields`, and
  `POST /api/v2/user_fields` with `{"user_field": {type, key, title}}` creates a
  definition that does not exist yet (Zendesk ignores values of undefined keys).

A user Zendesk no longer has (deleted: 404 RecordNotFound, or a failed job
result saying so) is skipped on add and counts as done on remove, as for
Shopify: it carries no tag and no value, which is what the sync wants.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from connectors.errors import ClientError, ConnectorError
from connectors.http import HttpClient, json_of
from connectors.sync.adapter import (
    MEMBERS_PER_COMMIT,
    HttpDestination,
    adapter_for,
    chunks,
    jsonable,
    present,
)
from connectors.sync.destination import Member, Outcome, Row
from connectors.sync.engine import SyncSpec
from connectors.zendesk.client import ZendeskSettings, make_client

USERS_PER_UPDATE = 100
_GONE = "not a Zendesk user (deleted or never there)"
_KEY = re.compile(r"[A-Za-z0-9_]*[A-Za-z_][A-Za-z0-9_]*")


def zendesk_error(exc: ClientError) -> str:
    try:
        body = json.loads(exc.body)
    except ValueError:
        return str(exc)
    if not isinstance(body, dict):
        return str(exc)
    error, description = body.get("error"), body.get("description")
    if isinstance(error, dict):  # some endpoints nest {title, message}
        error, description = error.get("title"), error.get("message")
    details = body.get("details")
    text = f"{error}: {description}" if description else str(error)
    return f"{text} {json.dumps(details)}" if details else text


def _is_gone(text: str) -> bool:
    lowered = text.lower()
    return "not found" in lowered or "notfound" in lowered


def _zendesk_tag(tag: str) -> str:
    """A tag as Zendesk stores it: lower case, spaces as underscores."""
    return tag.strip().lower().replace(" ", "_")


def _show_user(destination: HttpDestination, user_id: str) -> dict[str, Any] | None:
    """Show User `GET /api/v2/users/{id}`: the user as Zendesk holds it now, None
    if it has no such user (404) or the id is not one of Zendesk's."""
    if not user_id.isdigit():
        return None
    try:
        body = json_of(destination.call("GET", f"api/v2/users/{user_id}.json"))
    except ClientError as exc:
        if exc.status == 404:
            return None
        raise
    return body.get("user") or None


class ZendeskUserTag(HttpDestination):
    """Membership of an audience as one tag on each member's Zendesk user."""

    def __init__(self, client: HttpClient, spec: SyncSpec) -> None:
        super().__init__(client, spec.key, MEMBERS_PER_COMMIT)
        self.tag = spec.target

    def ref_of(self, row: Row) -> str | None:
        return self.key_of(row)

    def _tags(self, method: str, key: str, user_id: str) -> Outcome:
        if not user_id.isdigit():
            return Outcome(key, False, f"{user_id!r} is not a Zendesk user id", skipped=True)
        try:
            self.call(method, f"api/v2/users/{user_id}/tags.json", json={"tags": [self.tag]})
        except ClientError as exc:
            if exc.status != 404:
                return Outcome(key, False, f"Zendesk refused: {zendesk_error(exc)}")
            if method == "DELETE":  # gone from Zendesk: it carries no tag, as wanted
                return Outcome(key, True)
            return Outcome(key, False, _GONE, skipped=True)
        return Outcome(key, True, ref=user_id if method == "PUT" else None)

    def add(self, rows: Sequence[Row]) -> list[Outcome]:
        return [self._tags("PUT", self.key_of(r), self.key_of(r)) for r in rows]

    def update(self, rows: Sequence[Row]) -> list[Outcome]:
        return [Outcome(self.key_of(r), True, ref=self.key_of(r)) for r in rows]

    def remove(self, members: Sequence[Member]) -> list[Outcome]:
        return [self._tags("DELETE", m.key, m.ref or m.key) for m in members]

    def lookup(self, rows: Sequence[Row]) -> dict[str, bool | str] | None:
        """For a batch a crashed run may have sent: does each user carry the tag
        now? Zendesk cannot list a tag's users exactly (search is eventually
        consistent), so each user is read with Show User; a user Zendesk no
        longer has does not carry it."""
        wanted = _zendesk_tag(self.tag)
        found: dict[str, bool | str] = {}
        for row in rows:
            user_id = self.key_of(row)
            if user_id.isdigit():  # other ids are sent again, and skipped as before
                user = _show_user(self, user_id)
                found[user_id] = user is not None and wanted in (user.get("tags") or [])
        return found

    def holds(self, members: Sequence[Member]) -> dict[str, bool] | None:
        """lookup by the user id recorded for each member (Show User)."""
        found = self.lookup([{self.key: m.ref or m.key} for m in members]) or {}
        return {m.key: bool(found[m.ref or m.key]) for m in members if (m.ref or m.key) in found}


def field_type(value: Any) -> str:
    """The user field type that holds a warehouse value."""
    if isinstance(value, bool):
        return "checkbox"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float | Decimal):
        return "decimal"
    if isinstance(value, date | datetime):
        return "date"
    return "text"


def field_value(value: Any, kind: str) -> Any:
    """A value as Zendesk stores it for a field of type `kind` (None clears it)."""
    if value is None:
        return None
    if kind == "date":
        day = value.date() if isinstance(value, datetime) else value
        return day.isoformat() if isinstance(day, date) else str(value)[:10]
    if kind == "checkbox":
        return bool(value)
    if kind in ("integer", "decimal"):
        return jsonable(value)
    return str(jsonable(value)) if not isinstance(value, str) else value


class ZendeskUserFields(HttpDestination):
    """Values of user fields, one per column in `fields` (keyed by the column
    name; the sync's target when it names no fields); a removed member's values
    are cleared. Definitions that do not exist are created once."""

    def __init__(self, client: HttpClient, spec: SyncSpec) -> None:
        super().__init__(client, spec.key, USERS_PER_UPDATE)
        self.fields = tuple(spec.fields or (spec.target,))
        bad = [f for f in self.fields if not _KEY.fullmatch(f)]
        if bad:
            raise ConnectorError(
                f"sync {spec.name}: Zendesk user field keys take letters, digits and "
                f"underscores only: {', '.join(bad)}"
            )
        self._types: dict[str, str] | None = None

    def ref_of(self, row: Row) -> str | None:
        return self.key_of(row)

    def _definitions(self) -> Iterator[dict[str, Any]]:
        """Every user field definition, by cursor pagination (`page[size]`,
        `meta.has_more`, `links.next`)."""
        url: str | None = "api/v2/user_fields.json"
        params: dict[str, Any] | None = {"page[size]": 100}
        while url:
            body = json_of(self.call("GET", url, params=params))
            yield from body.get("user_fields") or []
            more = (body.get("meta") or {}).get("has_more")
            url, params = ((body.get("links") or {}).get("next") if more else None), None

    def types(self, rows: Sequence[Row]) -> dict[str, str]:
        """key -> field type, creating the definitions that are missing (typed
        from the first value the rows carry)."""
        if self._types is None:
            existing = {d["key"]: d.get("type", "text") for d in self._definitions()}
            for name in self.fields:
                if name in existing:
                    continue
                sample = next((r[name] for r in rows if present(r.get(name))), None)
                definition = {
                    "type": field_type(sample),
                    "key": name,
                    "title": name.replace("_", " ").capitalize(),
                    "description": "Written by omnihub syncs",
                }
                created = self.call(
                    "POST", "api/v2/user_fields.json", json={"user_field": definition}
                )
                existing[name] = json_of(created)["user_field"].get("type", definition["type"])
            self._types = existing
        return self._types

    def _update(
        self, items: Sequence[tuple[str, str, dict[str, Any]]], removing: bool
    ) -> list[Outcome]:
        """items: (key, user id, user_fields) -> one Outcome each."""
        outcomes: dict[int, Outcome] = {}
        valid: list[tuple[int, str, str, dict[str, Any]]] = []
        for i, (key, user_id, values) in enumerate(items):
            if user_id.isdigit():
                valid.append((i, key, user_id, values))
            else:
                outcomes[i] = Outcome(
                    key, False, f"{user_id!r} is not a Zendesk user id", skipped=True
                )
        for chunk in chunks(valid, USERS_PER_UPDATE):
            users = [{"id": int(uid), "user_fields": values} for _, _, uid, values in chunk]
            try:
                results = self._job(users)
            except ClientError as exc:
                reason = f"Zendesk refused the update: {zendesk_error(exc)}"
                outcomes.update({i: Outcome(key, False, reason) for i, key, _, _ in chunk})
                continue
            for position, (i, key, uid, _) in enumerate(chunk):
                result = results.get(uid) or results.get(f"#{position}")
                outcomes[i] = self._outcome(key, uid, result, removing)
        return [outcomes[i] for i in range(len(items))]

    def _outcome(
        self, key: str, uid: str, result: dict[str, Any] | None, removing: bool
    ) -> Outcome:
        if result is None:
            return Outcome(key, False, "Zendesk's job status has no result for this user")
        ok = result.get("success", result.get("status") in ("Updated", "Created"))
        if ok and not result.get("error"):
            return Outcome(key, True, ref=None if removing else uid)
        reason = " ".join(str(result[k]) for k in ("error", "details") if result.get(k))
        if _is_gone(reason):
            return Outcome(key, True) if removing else Outcome(key, False, _GONE, skipped=True)
        return Outcome(key, False, f"Zendesk: {reason or result.get('status')}")

    def _job(self, users: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Run one Update Many Users job to its end: results by user id (or by
        "#position" for results that carry none)."""
        body = json_of(self.call("PUT", "api/v2/users/update_many.json", json={"users": users}))
        job = body["job_status"]

        def finished() -> dict[str, Any] | None:
            status = json_of(self.call("GET", f"api/v2/job_statuses/{job['id']}.json"))
            current = status["job_status"]
            return current if current.get("status") in ("completed", "failed", "killed") else None

        done = (
            job
            if job.get("status") == "completed"
            else self.client.poll(finished, what=f"job {job['id']}")
        )
        if done.get("status") != "completed":
            raise ConnectorError(
                f"Zendesk job {job['id']} ended {done.get('status')}: {done.get('message')}; "
                "rerun to send its users again"
            )
        results: dict[str, dict[str, Any]] = {}
        for position, result in enumerate(done.get("results") or []):
            index = result.get("index", position)
            ident = result.get("id")
            results[str(ident) if ident is not None else f"#{index}"] = result
        return results

    def _values(self, row: Row, types: Mapping[str, str]) -> dict[str, Any]:
        return {f: field_value(row.get(f), types.get(f, "text")) for f in self.fields}

    def add(self, rows: Sequence[Row]) -> list[Outcome]:
        types = self.types(rows)
        return self._update(
            [(self.key_of(r), self.key_of(r), self._values(r, types)) for r in rows], False
        )

    def update(self, rows: Sequence[Row]) -> list[Outcome]:
        return self.add(rows)

    def remove(self, members: Sequence[Member]) -> list[Outcome]:
        cleared = dict.fromkeys(self.fields)
        return self._update([(m.key, m.ref or m.key, cleared) for m in members], True)

    def lookup(self, rows: Sequence[Row]) -> dict[str, bool | str] | None:
        """For a batch a crashed run may have sent: does each user hold the row's
        values now? The crashed run's job status died with it (and a job status
        only says what that job did), so each user is read with Show User."""
        types = self.types(rows)
        found: dict[str, bool | str] = {}
        for row in rows:
            user_id = self.key_of(row)
            if user_id.isdigit():
                user = _show_user(self, user_id)
                held = (user or {}).get("user_fields") or {}
                values = self._values(row, types)
                found[user_id] = user is not None and all(
                    held.get(k) == v for k, v in values.items()
                )
        return found


_OBJECTS = {"user_tag": ZendeskUserTag, "user_field": ZendeskUserFields}


def make_destination(spec: SyncSpec, env: Mapping[str, str]) -> HttpDestination:
    cls = adapter_for("Zendesk", spec.object, spec.name, _OBJECTS)
    return cls(make_client(ZendeskSettings.from_env(env)), spec)
