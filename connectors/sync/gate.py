"""The consent and suppression gate every sync passes through, whatever the model says.

A suppression list is a warehouse relation with a `customer_id` column (the dbt
models in `marts/suppressions/`). Which lists apply to a sync is the union of:

- `suppress_erased`, always, everywhere: people who asked to be forgotten;
- the consent list of the destination's channel: email platforms never get
  anyone without email consent, ad platforms anyone without marketing consent
  (not even to exclude them: an exclusion audience still shares their data);
- the lists the sync's declaration names.

The gate fails closed: a list that is missing (dbt has not built it) stops the
sync before anything is sent, and a row without a customer_id never passes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from connectors.errors import ConnectorError
from warehouse import Warehouse
from warehouse.bulk import fetch_rows

SCHEMA = "suppressions"
ALWAYS = ("suppress_erased",)
LIVE_CUSTOMERS = "customers.customers"

# destination -> the channel it markets on, and the list that guards that channel
CHANNEL = {"klaviyo": "email", "meta_ads": "ads"}
CONSENT_LIST = {"email": "suppress_email_unconsented", "ads": "suppress_ads_unconsented"}
# Lists a destination needs because of how it identifies people: Klaviyo keeps
# one profile per email, so a person whose address is another customer's profile
# would overwrite that profile (and each would overwrite the other, every run).
DESTINATION_LISTS = {"klaviyo": ("suppress_klaviyo_address_taken",)}
# every list some sync may require: what a fresh warehouse must build
ALL_LISTS = tuple(
    dict.fromkeys(
        [*ALWAYS, *CONSENT_LIST.values(), *(n for ls in DESTINATION_LISTS.values() for n in ls)]
    )
)
# Objects that carry people *because* they refused: sending them there is the
# refusal being honoured, so the channel's consent list does not apply.
REFUSAL_OBJECTS = {("klaviyo", "suppression")}


class GateUnavailable(ConnectorError):
    """A suppression list the gate needs cannot be read; nothing was sent."""


def required_lists(destination: str, obj: str, declared: Iterable[str] = ()) -> tuple[str, ...]:
    """Every suppression list (model name) that applies to a sync, in a stable order."""
    lists = list(ALWAYS)
    channel = CHANNEL.get(destination)
    if channel and (destination, obj) not in REFUSAL_OBJECTS:
        lists.append(CONSENT_LIST[channel])
    if (destination, obj) not in REFUSAL_OBJECTS:
        # a refusal is honoured at the shared address too: suppressing it is right
        lists.extend(DESTINATION_LISTS.get(destination, ()))
    lists.extend(declared)
    return tuple(dict.fromkeys(lists))


@dataclass(frozen=True)
class Gate:
    """Who may not be sent, and why (the first list that names them)."""

    blocked: Mapping[str, str]
    lists: tuple[str, ...]
    live_customers: frozenset[str]

    def refusal(self, row: Mapping[str, Any]) -> str | None:
        """Why this row may not leave, or None if it may."""
        customer = row.get("customer_id")
        if customer in (None, ""):
            return "no customer_id: the gate cannot check consent"
        return self.blocked.get(str(customer))

    def is_gone(self, customer_id: str | None) -> str | None:
        """Why someone synced before must now be removed everywhere: blocked,
        or no longer a customer (retired by a merge, or every record deleted)."""
        if customer_id is None:
            return None
        if customer_id in self.blocked:
            return self.blocked[customer_id]
        if customer_id not in self.live_customers:
            return "no longer a customer (merged into another or deleted)"
        return None


def load_gate(warehouse: Warehouse, lists: Iterable[str]) -> Gate:
    blocked: dict[str, str] = {}
    names = tuple(lists)
    with warehouse.transaction() as conn:
        for name in names:
            try:
                ids = fetch_rows(
                    conn,
                    warehouse.kind,
                    f"select distinct cast(customer_id as varchar) from {SCHEMA}.{name} "
                    "where customer_id is not null",
                )
                for (customer_id,) in ids:
                    blocked.setdefault(customer_id, name)
            except Exception as exc:  # any driver's error: the gate fails closed
                raise GateUnavailable(
                    f"suppression list {SCHEMA}.{name} cannot be read ({type(exc).__name__}); "
                    "build it with `dbt build` before syncing. Nothing was sent."
                ) from exc
        try:
            live = frozenset(
                c
                for (c,) in fetch_rows(
                    conn,
                    warehouse.kind,
                    f"select cast(customer_id as varchar) from {LIVE_CUSTOMERS}",
                )
            )
        except Exception as exc:  # any driver's error: the gate fails closed
            raise GateUnavailable(
                f"{LIVE_CUSTOMERS} cannot be read; build it with `dbt build` before syncing. "
                "Nothing was sent."
            ) from exc
    return Gate(blocked, names, live)
