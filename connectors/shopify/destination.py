"""Shopify customer tags as a sync destination.

Uses the GraphQL Admin API's `tagsAdd` / `tagsRemove` mutations
(https://shopify.dev/docs/api/admin-graphql/latest/mutations/tagsAdd): they
add or remove only the named tags, so tags set by staff or other apps are
never clobbered (a REST `PUT customers/{id}.json` would replace them all).
Several aliased mutations go in one request, within the query cost limit;
GraphQL throttling arrives as HTTP 200 with `errors[].extensions.code ==
"THROTTLED"` and is waited out by the HTTP layer, per `throttleStatus`.

`members()` lists the customers carrying the tag with the `customers` query
and Shopify's search syntax, `query: "tag:'<tag>'"`, 250 a page by cursor
(https://shopify.dev/docs/api/admin-graphql/latest/queries/customers,
https://shopify.dev/docs/api/usage/search-syntax).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import requests

from connectors.errors import ConnectorError
from connectors.http import HttpClient, Verdict, json_of
from connectors.shopify.client import ShopifySettings, make_client
from connectors.sync.adapter import HttpDestination
from connectors.sync.destination import Member, Outcome, Row
from connectors.sync.engine import SyncSpec

# tagsAdd/tagsRemove cost 10 points each; 25 per request (250 points) stays far
# below the 1,000-point single-query maximum and restores in 2.5 s on Standard.
MUTATIONS_PER_REQUEST = 25
MUTATION_COST = 10
CUSTOMERS_PAGE = 250  # the most a connection returns per page
_MISSING = "does not exist"
_TAGGED = f"""query omnihubTagged($query: String!, $after: String) {{
  customers(first: {CUSTOMERS_PAGE}, after: $after, query: $query) {{
    nodes {{ id }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}"""


def graphql_throttle(response: requests.Response) -> tuple[Verdict, float | None] | None:
    """A GraphQL response that says THROTTLED (with HTTP 200) is a rate limit."""
    if response.status_code != 200:
        return None
    try:
        body = json_of(response)
    except ValueError:
        return None
    errors = body.get("errors") if isinstance(body, dict) else None
    if not errors or not any(
        (e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors
    ):
        return None
    cost = (body.get("extensions") or {}).get("cost") or {}
    status = cost.get("throttleStatus") or {}
    needed = float(cost.get("requestedQueryCost") or 0) - float(
        status.get("currentlyAvailable") or 0
    )
    rate = float(status.get("restoreRate") or 100) or 100.0
    return Verdict.RATE_LIMITED, max(1.0, needed / rate)


def graphql_pacing(response: requests.Response) -> float:
    """Hold off until the cost bucket can pay for the next full request, so the
    THROTTLED response never comes."""
    try:
        cost = (json_of(response).get("extensions") or {}).get("cost") or {}
    except (ValueError, AttributeError):
        return 0.0
    status = cost.get("throttleStatus") or {}
    if "currentlyAvailable" not in status:
        return 0.0
    rate = float(status.get("restoreRate") or 100) or 100.0
    shortfall = MUTATIONS_PER_REQUEST * MUTATION_COST - float(status["currentlyAvailable"])
    return max(0.0, shortfall / rate)


def _mutation(operation: str, count: int) -> str:
    variables = ", ".join(f"$id{i}: ID!" for i in range(count))
    fields = "\n".join(
        f"  m{i}: {operation}(id: $id{i}, tags: $tags) {{ node {{ id }} userErrors "
        "{ field message } }"
        for i in range(count)
    )
    return (
        f"mutation omnihub{operation.capitalize()}({variables}, $tags: [String!]!) {{\n{fields}\n}}"
    )


def search_term(tag: str) -> str:
    """Shopify search syntax for "has this tag", quoted so spaces and colons in a
    tag stay part of it."""
    escaped = tag.replace("\\", "\\\\").replace("'", "\\'")
    return f"tag:'{escaped}'"


def customer_gid(customer_id: str) -> str:
    return f"gid://shopify/Customer/{customer_id}"


class ShopifyCustomerTags(HttpDestination):
    """Membership of an audience as one customer tag on each member.

    key: the audience column holding Shopify's numeric customer id."""

    def __init__(self, client: HttpClient, tag: str, key: str) -> None:
        super().__init__(client, key, MUTATIONS_PER_REQUEST)
        self.tag = tag

    def ref_of(self, row: Row) -> str | None:
        return customer_gid(self.key_of(row))

    def _graphql(self, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        response = self.call("POST", "graphql.json", json={"query": query, "variables": variables})
        return json_of(response)

    def _apply(self, operation: str, keys: Sequence[str], gids: Sequence[str]) -> list[Outcome]:
        variables: dict[str, Any] = {"tags": [self.tag]}
        for i, gid in enumerate(gids):
            variables[f"id{i}"] = gid
        body = self._graphql(_mutation(operation, len(gids)), variables)
        if body.get("errors"):
            messages = "; ".join(str(e.get("message")) for e in body["errors"])
            raise ConnectorError(f"shopify {operation} refused the whole request: {messages}")
        data = body.get("data") or {}
        outcomes = []
        for i, (key, gid) in enumerate(zip(keys, gids, strict=True)):
            result = data.get(f"m{i}") or {}
            errors = result.get("userErrors") or []
            if not errors:
                outcomes.append(Outcome(key, True, ref=gid if operation == "tagsAdd" else None))
            elif operation == "tagsRemove" and any(_MISSING in e["message"] for e in errors):
                # Gone from Shopify (deleted/redacted): it carries no tag, as wanted.
                outcomes.append(Outcome(key, True))
            else:
                outcomes.append(Outcome(key, False, "; ".join(e["message"] for e in errors)))
        return outcomes

    def add(self, rows: Sequence[Row]) -> list[Outcome]:
        keys = [self.key_of(r) for r in rows]
        return self._apply("tagsAdd", keys, [customer_gid(k) for k in keys])

    def update(self, rows: Sequence[Row]) -> list[Outcome]:
        """A tag has no fields: confirm, keeping the ref."""
        return [Outcome(self.key_of(r), True, ref=self.ref_of(r)) for r in rows]

    def remove(self, members: Sequence[Member]) -> list[Outcome]:
        """By the ref recorded at add (a reconciliation's untracked members have
        only that), else by the key."""
        gids = [m.ref or customer_gid(m.key) for m in members]
        return self._apply("tagsRemove", [m.key for m in members], gids)

    def members(self) -> Iterator[str]:
        """The gids of every customer carrying the tag now."""
        after: str | None = None
        while True:
            body = self._graphql(_TAGGED, {"query": search_term(self.tag), "after": after})
            if body.get("errors"):
                messages = "; ".join(str(e.get("message")) for e in body["errors"])
                raise ConnectorError(f"shopify customers query refused: {messages}")
            page = body["data"]["customers"]
            yield from (node["id"] for node in page["nodes"])
            if not page["pageInfo"]["hasNextPage"]:
                return
            after = page["pageInfo"]["endCursor"]


def make_destination(spec: SyncSpec, env: Mapping[str, str]) -> ShopifyCustomerTags:
    if spec.object != "customer_tag":
        raise ConnectorError(
            f"sync {spec.name}: Shopify supports object 'customer_tag', not {spec.object!r}"
        )
    settings = ShopifySettings.from_env(env)
    client = make_client(settings, pacing_hook=graphql_pacing, classifier=graphql_throttle)
    return ShopifyCustomerTags(client, spec.target, spec.key)
