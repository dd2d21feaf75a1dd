"""Square customer groups and customer custom attributes as sync destinations.

References (api.json of github.com/square/connect-api-specification):
- ListCustomerGroups `GET /v2/customers/groups` (limit 1..50, `cursor`) and
  CreateCustomerGroup `POST /v2/customers/groups` with an `idempotency_key`:
  the group is found by name, created once;
- AddGroupToCustomer `PUT /v2/customers/{customer_id}/groups/{group_id}` and
  RemoveGroupFromCustomer `DELETE` on the same path: one call per member.
  Square has no bulk membership call (BulkUpdateCustomers takes no group_ids),
  so each member is its own call, committed MEMBERS_PER_COMMIT at a time;
- SearchCustomers `POST /v2/customers/search` with `query.filter.group_ids.all`
  and the `cursor` (limit 1..100) lists a group's members.
- Customer custom attributes (CustomerCustomAttributes): definitions are listed by
  ListCustomerCustomAttributeDefinitions `GET /v2/customers/custom-attribute-definitions`
  (limit 1..100, `cursor`) and the missing ones created once by
  CreateCustomerCustomAttributeDefinition `POST` on that path (`key`, `schema` as a
  `$ref` to Square's common String/Number/Boolean schema, `name` and `description`,
  required for VISIBILITY_READ_ONLY, which lets the seller's staff read the values;
  a 409 CONFLICT means it exists already). Values go by BulkUpsertCustomerCustomAttributes
  `POST /v2/customers/custom-attributes/bulk-upsert`, a map of at most 25 upserts
  (each one customer and one key) answered per entry; a value set to nothing is
  removed by DeleteCustomerCustomAttribute `DELETE /v2/customers/{id}/custom-attributes/{key}`
  (404 means already gone). A Number value is a string (at most 5 decimals).
Errors are `{"errors": [{category, code, detail, field}]}`; a customer Square
does not know (404 NOT_FOUND) is skipped on add and counts as removed on
remove. Square throttles with 429 RATE_LIMITED and no Retry-After: the HTTP
layer backs off.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import quote

from connectors.errors import ClientError, ConnectorError
from connectors.http import HttpClient, json_of
from connectors.square.client import SquareSettings, make_client
from connectors.sync.adapter import (
    MEMBERS_PER_COMMIT,
    HttpDestination,
    adapter_for,
    chunks,
    present,
)
from connectors.sync.destination import Member, Outcome, Row
from connectors.sync.engine import SyncSpec

GROUPS_PAGE = 50
SEARCH_PAGE = 100
DEFINITIONS_PAGE = 100
UPSERTS_PER_CALL = 25  # BulkUpsertCustomerCustomAttributesRequest.values: 1 to 25
SCHEMA_BASE = "https://developer-production-s.squarecdn.com/schemas/v1/common.json#squareup.common."
_ATTRIBUTE_KEY = re.compile(r"[a-zA-Z0-9._-]{1,60}")


def square_error(exc: ClientError) -> tuple[str | None, str]:
    """(code, "CODE: detail") of Square's first error."""
    try:
        first = (json.loads(exc.body).get("errors") or [{}])[0]
    except (ValueError, AttributeError, IndexError):
        return None, str(exc)
    code = first.get("code")
    return code, f"{code}: {first.get('detail') or first.get('category')}"


class SquareCustomerGroup(HttpDestination):
    """Membership of an audience as one customer group."""

    def __init__(self, client: HttpClient, spec: SyncSpec) -> None:
        super().__init__(client, spec.key, MEMBERS_PER_COMMIT)
        self.name = spec.target
        self._group_id: str | None = None

    def group_id(self) -> str:
        if self._group_id is None:
            found = next((g for g in self._groups() if g.get("name") == self.name), None)
            if found is None:
                body = {"idempotency_key": str(uuid.uuid4()), "group": {"name": self.name}}
                found = json_of(self.call("POST", "v2/customers/groups", json=body))["group"]
            self._group_id = str(found["id"])
        return self._group_id

    def _groups(self) -> Iterator[dict[str, Any]]:
        params: dict[str, Any] = {"limit": GROUPS_PAGE}
        while True:
            body = json_of(self.call("GET", "v2/customers/groups", params=params))
            yield from body.get("groups") or []
            if not body.get("cursor"):
                return
            params = {"limit": GROUPS_PAGE, "cursor": body["cursor"]}

    def ref_of(self, row: Row) -> str | None:
        return self.key_of(row)

    def _change(self, method: str, key: str, customer_id: str) -> Outcome:
        path = f"v2/customers/{quote(customer_id, safe='')}/groups/{self.group_id()}"
        try:
            self.call(method, path)
        except ClientError as exc:
            code, reason = square_error(exc)
            if exc.status == 404 and "group" in reason.lower():
                self._group_id = None
                raise ConnectorError(
                    f"Square customer group '{self.name}' is gone ({reason}); the next run "
                    "finds or creates it again"
                ) from None
            if code == "NOT_FOUND":
                if method == "DELETE":  # gone from Square: in no group, as wanted
                    return Outcome(key, True)
                return Outcome(key, False, f"not a Square customer ({reason})", skipped=True)
            return Outcome(key, False, f"Square refused: {reason}")
        return Outcome(key, True, ref=customer_id if method == "PUT" else None)

    def add(self, rows: Sequence[Row]) -> list[Outcome]:
        return [self._change("PUT", self.key_of(r), self.key_of(r)) for r in rows]

    def update(self, rows: Sequence[Row]) -> list[Outcome]:
        """Membership has no fields: confirm, keeping the ref."""
        return [Outcome(self.key_of(r), True, ref=self.key_of(r)) for r in rows]

    def remove(self, members: Sequence[Member]) -> list[Outcome]:
        return [self._change("DELETE", m.key, m.ref or m.key) for m in members]

    def members(self) -> Iterator[str]:
        query = {"filter": {"group_ids": {"all": [self.group_id()]}}}
        body: dict[str, Any] = {"limit": SEARCH_PAGE, "query": query}
        while True:
            page = json_of(self.call("POST", "v2/customers/search", json=body))
            for customer in page.get("customers") or []:
                yield str(customer["id"])
            if not page.get("cursor"):
                return
            body = {"limit": SEARCH_PAGE, "query": query, "cursor": page["cursor"]}


class SquareCustomerAttributes(HttpDestination):
    """Fields of a model as custom attributes on each member's Square customer
    profile, one attribute per column in `fields` (its key the column name), so
    staff at the counter see them. Upsert: a member's values are rewritten when
    they change; a value that becomes null is deleted; a removed member's values
    are deleted. Definitions that are missing are created once, typed from the
    first value the rows carry."""

    def __init__(self, client: HttpClient, spec: SyncSpec) -> None:
        fields = tuple(spec.fields)
        if not fields:
            raise ConnectorError(f"sync {spec.name}: name the columns to write in `fields`")
        bad = [f for f in fields if not _ATTRIBUTE_KEY.fullmatch(f)]
        if bad:
            raise ConnectorError(
                f"sync {spec.name}: Square custom attribute keys take up to 60 letters, digits, "
                f"'.', '_' or '-': {', '.join(bad)}"
            )
        # rows per engine batch, so one batch's upserts fit Square's 25 a call
        super().__init__(client, spec.key, max(1, UPSERTS_PER_CALL // len(fields)))
        self.fields = fields
        self.label = spec.target
        self._types: dict[str, str] | None = None

    def ref_of(self, row: Row) -> str | None:
        return self.key_of(row)

    # -- definitions ----------------------------------------------------------
    def _definitions(self) -> Iterator[dict[str, Any]]:
        params: dict[str, Any] = {"limit": DEFINITIONS_PAGE}
        while True:
            body = json_of(
                self.call("GET", "v2/customers/custom-attribute-definitions", params=params)
            )
            yield from body.get("custom_attribute_definitions") or []
            if not body.get("cursor"):
                return
            params = {"limit": DEFINITIONS_PAGE, "cursor": body["cursor"]}

    @staticmethod
    def _kind(value: Any) -> str:
        if isinstance(value, bool):
            return "Boolean"
        if isinstance(value, int | float | Decimal):
            return "Number"
        return "String"

    def types(self, rows: Sequence[Row]) -> dict[str, str]:
        """key -> Square value type (String, Number, Boolean), creating the
        definitions that do not exist yet."""
        if self._types is None:
            existing = {}
            for definition in self._definitions():
                ref = (definition.get("schema") or {}).get("$ref") or ""
                existing[definition.get("key")] = ref.rsplit(".", 1)[-1] or "String"
            for name in self.fields:
                if name in existing:
                    continue
                sample = next((r[name] for r in rows if present(r.get(name))), None)
                kind = self._kind(sample)
                body = {
                    "idempotency_key": str(uuid.uuid4()),
                    "custom_attribute_definition": {
                        "key": name,
                        "schema": {"$ref": SCHEMA_BASE + kind},
                        "name": f"{self.label} {name.replace('_', ' ')}",
                        "description": f"Written by omnihub (sync of {name}); do not edit",
                        "visibility": "VISIBILITY_READ_ONLY",
                    },
                }
                try:
                    self.call("POST", "v2/customers/custom-attribute-definitions", json=body)
                except ClientError as exc:
                    if exc.status != 409:  # 409 CONFLICT: created meanwhile, use it
                        raise
                existing[name] = kind
            self._types = existing
        return self._types

    # -- values ---------------------------------------------------------------
    @staticmethod
    def _value(value: Any, kind: str) -> Any:
        """A warehouse value as Square's value data type: Number a string with at
        most 5 decimals, Boolean a bool, String a string."""
        if kind == "Number":
            number = Decimal(str(value)).quantize(Decimal("0.00001"), rounding=ROUND_HALF_UP)
            return format(number.normalize(), "f")
        if kind == "Boolean":
            return bool(value)
        return str(value)

    def _upsert(self, rows: Sequence[Row], *, clear: bool = True) -> list[Outcome]:
        """Upsert every present value, 25 a call; with `clear`, delete the values
        that became null. One Outcome per row: confirmed only if all its keys were."""
        types = self.types(rows)
        problems: dict[str, str] = {}
        gone: set[str] = set()
        entries: list[tuple[str, dict[str, Any]]] = []
        clears: list[tuple[str, str]] = []
        for row in rows:
            customer = self.key_of(row)
            for name in self.fields:
                value = row.get(name)
                if not present(value):
                    if clear:
                        clears.append((customer, name))
                    continue
                request = {
                    "customer_id": customer,
                    "custom_attribute": {"key": name, "value": self._value(value, types[name])},
                }
                entries.append((f"{len(entries)}", request))
        for chunk in chunks(entries, UPSERTS_PER_CALL):
            body = {"values": dict(chunk)}
            try:
                answer = json_of(
                    self.call("POST", "v2/customers/custom-attributes/bulk-upsert", json=body)
                )
            except ClientError as exc:
                reason = f"Square refused the upsert: {square_error(exc)[1]}"
                for _, request in chunk:
                    problems.setdefault(request["customer_id"], reason)
                continue
            for rid, request in chunk:
                errors = ((answer.get("values") or {}).get(rid) or {}).get("errors")
                if errors:
                    first = errors[0]
                    if first.get("code") == "NOT_FOUND" and first.get("field") == "customer_id":
                        gone.add(request["customer_id"])
                    else:
                        problems.setdefault(
                            request["customer_id"], f"{first.get('code')}: {first.get('detail')}"
                        )
        for customer, name in clears:
            if customer not in gone:
                problem = self._delete(customer, name)
                if problem == "gone":
                    gone.add(customer)
                elif problem:
                    problems.setdefault(customer, problem)
        outcomes = []
        for row in rows:
            key = self.key_of(row)
            if key in gone:
                outcomes.append(Outcome(key, False, "not a Square customer", skipped=True))
            elif key in problems:
                outcomes.append(Outcome(key, False, problems[key]))
            else:
                outcomes.append(Outcome(key, True, ref=key))
        return outcomes

    def _delete(self, customer: str, name: str) -> str | None:
        """Delete one attribute value: None when done (or never there), "gone"
        when the customer is, else the reason."""
        path = f"v2/customers/{quote(customer, safe='')}/custom-attributes/{quote(name, safe='')}"
        try:
            self.call("DELETE", path)
        except ClientError as exc:
            _, reason = square_error(exc)
            if exc.status == 404:
                return "gone" if "customer with" in reason.lower() else None
            return f"Square refused the delete: {reason}"
        return None

    def add(self, rows: Sequence[Row]) -> list[Outcome]:
        # a first write has nothing to clear: only the values present are sent
        return self._upsert(rows, clear=False)

    def update(self, rows: Sequence[Row]) -> list[Outcome]:
        return self._upsert(rows)

    def remove(self, members: Sequence[Member]) -> list[Outcome]:
        outcomes = []
        for member in members:
            customer = member.ref or member.key
            problems = [self._delete(customer, name) for name in self.fields]
            failed = next((p for p in problems if p and p != "gone"), None)
            outcomes.append(
                Outcome(member.key, False, failed) if failed else Outcome(member.key, True)
            )
        return outcomes


_OBJECTS = {
    "customer_group": SquareCustomerGroup,
    "customer_custom_attributes": SquareCustomerAttributes,
}


def make_destination(spec: SyncSpec, env: Mapping[str, str]) -> HttpDestination:
    cls = adapter_for("Square", spec.object, spec.name, _OBJECTS)
    return cls(make_client(SquareSettings.from_env(env)), spec)
