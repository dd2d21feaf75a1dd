"""A rate-limit and 5xx storm during a sync, for each of the five destinations.

The emulator answers a seeded share of every request with the vendor's own
throttle (Klaviyo, Shopify REST, Zendesk: 429 + Retry-After; Square: 429
RATE_LIMITED; Meta: 400 code 17; Shopify GraphQL: 200 THROTTLED) or a 5xx,
before the request is applied. The real engine must still converge within the
HTTP layer's retry budget: the platform holds exactly the audience (removes
included), state says the same, and no member was added twice, because a
refused request applied nothing and the engine never re-sends a confirmed
batch. The client's sleep is recorded and cut short, so the waits it chose
(the vendor's hint) are checked without being spent.
"""

from __future__ import annotations

import pytest

from connectors.errors import ConnectorError
from connectors.sync.engine import run_sync
from connectors.sync.state import SyncState
from sandbox.server import EmulatorServer
from sandbox.store import WorldStore
from tests.integration.helpers import set_knobs
from tests.integration.sync_faults import CASES, FastSleep, added_twice, applied
from tests.integration.sync_world import gate_relations, write_calls
from warehouse import Warehouse

PEOPLE = 30
STORM = {"throttle_rate": 0.3, "throttle_retry_after": 1.0, "error_rate": 0.15, "seed": 11}


@pytest.mark.parametrize("name", sorted(CASES))
def test_storm_converges_exactly_without_adding_anyone_twice(
    name: str, emulator: EmulatorServer, world: WorldStore, duckdb_warehouse: Warehouse
) -> None:
    case = CASES[name]
    people = case.rows(world, PEOPLE)
    gate_relations(duckdb_warehouse, [r["customer_id"] for r in people])
    before, after = people[:16], people[6:]  # 6 leave, 14 join, 10 stay
    first = run_sync(case.spec, before, case.destination(emulator.env()), duckdb_warehouse)
    assert first.confirmed == len(before)
    calm = len(write_calls(emulator, case.platform))

    set_knobs(emulator, **STORM)
    dest = case.destination(emulator.env())
    sleep = FastSleep()
    dest.client.sleep = sleep
    result = run_sync(case.spec, after, dest, duckdb_warehouse)
    set_knobs(emulator, throttle_rate=0.0, error_rate=0.0)

    storm = write_calls(emulator, case.platform)[calm:]
    refused = [w for w in storm if not applied(w)]
    assert dest.client.stats.rate_limit_waits >= 2 and dest.client.stats.retries >= 1, (
        "the storm did not happen",
        dest.client.stats,
    )
    assert refused, "no write was refused: the storm missed the writes"
    assert result.rejected == 0 and result.refused is None
    assert result.planned_removes == 6 and result.planned_adds == 14
    assert result.confirmed == 20

    wanted = {case.identity(r) for r in after}
    assert case.held(world) == wanted
    state = SyncState(duckdb_warehouse)
    assert set(state.members(case.spec.name)) == {str(r[case.spec.key]) for r in after}
    assert state.pending(case.spec.name) == {}
    assert added_twice(case, write_calls(emulator, case.platform)) == {}

    # Each vendor's throttle came in its own shape, and its hint set the wait.
    statuses = {(w["status"], w.get("error")) for w in refused}
    expected_throttle = {
        "klaviyo": (429, None),
        "klaviyo_new_profiles": (429, None),
        "meta_ads": (400, None),
        "square": (429, None),
        "shopify": (200, "THROTTLED"),
        "zendesk": (429, None),
        "zendesk_fields": (429, None),
    }[name]
    assert expected_throttle in statuses, statuses
    if name != "square":  # Square sends no Retry-After: the client backs off on its own
        assert max(sleep.asked) >= 1.0  # Retry-After / throttleStatus / regain time honoured

    # Calm again: the next run has nothing to do.
    again = run_sync(case.spec, after, case.destination(emulator.env()), duckdb_warehouse)
    assert again.planned_adds == again.planned_removes == again.planned_updates == 0


@pytest.mark.parametrize("name", sorted(CASES))
def test_storm_past_the_retry_budget_fails_the_run_and_the_next_run_converges(
    name: str, emulator: EmulatorServer, world: WorldStore, duckdb_warehouse: Warehouse
) -> None:
    """Every request throttled: the HTTP layer gives up after its budget of
    waits (it neither loops forever nor drops the batch silently), the run
    fails, and a run after the storm ends exactly at the audience."""
    case = CASES[name]
    people = case.rows(world, 8)
    gate_relations(duckdb_warehouse, [r["customer_id"] for r in people])
    run_sync(case.spec, people[:4], case.destination(emulator.env()), duckdb_warehouse)

    set_knobs(emulator, throttle_rate=1.0)
    dest = case.destination(emulator.env())
    dest.client.sleep = FastSleep(cap=0.0005)
    with pytest.raises(ConnectorError, match="throttled"):
        run_sync(case.spec, people[2:], dest, duckdb_warehouse)
    assert dest.client.stats.rate_limit_waits == dest.client.policy.max_rate_limit_waits
    set_knobs(emulator, throttle_rate=0.0)

    after = run_sync(case.spec, people[2:], case.destination(emulator.env()), duckdb_warehouse)
    assert after.rejected == 0
    assert case.held(world) == {case.identity(r) for r in people[2:]}
    assert SyncState(duckdb_warehouse).pending(case.spec.name) == {}
