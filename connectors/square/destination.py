"""Square customer groups as a sync destination.

References (api.json of github.com/square/connect-api-specification):
- ListCustomerGroups `GET /v2/customers/groups` (limit 1..50, `cursor`) and
  CreateCustomerGroup `POST /v2/customers/groups` with an `idempotency_key`:
  the group is found by name, created once;
- AddGroupToCustomer `PUT /v2/customers/{customer_id}/groups/{group_id}` and
  RemoveGroupFromCustomer `DELETE` on the same path: one call per member.
  Square has no bulk membership call (BulkUpdateCustomers takes no group_ids),
  so `batch_size` is 1 and each member's state is committed as it is applied;
- SearchCustomers `POST /v2/customers/search` with `query.filter.group_ids.all`
  and the `cursor` (limit 1..100) lists a group's members.
Errors are `{"errors": [{category, code, detail, field}]}`; a customer Square
does not know (404 NOT_FOUND) is skipped on add and counts as removed on
remove. Square throttles with 429 RATE_LIMITED and no Retry-After: the HTTP
layer backs off.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from connectors.errors import ClientError, ConnectorError
from connectors.http import HttpClient, json_of
from connectors.square.client import SquareSettings, make_client
from connectors.sync.adapter import HttpDestination
from connectors.sync.destination import Member, Outcome, Row
from connectors.sync.engine import SyncSpec

GROUPS_PAGE = 50
SEARCH_PAGE = 100


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
        super().__init__(client, spec.key, 1)
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


def make_destination(spec: SyncSpec, env: Mapping[str, str]) -> SquareCustomerGroup:
    if spec.object != "customer_group":
        raise ConnectorError(
            f"sync {spec.name}: Square supports object 'customer_group', not {spec.object!r}"
        )
    return SquareCustomerGroup(make_client(SquareSettings.from_env(env)), spec)
