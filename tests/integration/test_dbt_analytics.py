"""The journey analytics on a real ingest of the sandbox world, on DuckDB and
PostgreSQL, against the world's ground truth: net revenue per order and per
person, ad clicks seen on landing pages, attribution weights, journeys."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from sandbox.server import EmulatorServer
from sandbox.store import TruthStore, WorldStore
from tests.integration.pipeline import ingest_world, run_dbt, world_env
from warehouse import Warehouse

MODELS = {"first_touch", "last_touch", "linear", "time_decay", "position_based"}
CART_WINDOW = timedelta(days=7)  # dbt var analytics_cart_window_days
LEAD_WINDOW = timedelta(days=90)  # dbt var analytics_lead_window_days


def _ts(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")


def _rows(warehouse: Warehouse, sql: str) -> list[Any]:
    with warehouse.transaction() as conn:
        return conn.execute(sa.text(sql)).all()


def _order_key(platform: str, order_id: str) -> str:
    return f"{platform}:order:{order_id}"


def _people_of_customers(
    warehouse: Warehouse, truth: TruthStore
) -> tuple[dict[str, int], dict[int, str]]:
    """Customers and people that identity resolved one to one (every record of the
    person in one customer holding no one else's): the ones truth can be compared on."""
    person_of = {
        f"{platform}:{stream[:-1]}:{rid}": pid
        for platform, stream, rid, pid in truth.conn.execute(
            "select platform, stream, id, person_id from record_person "
            "where stream in ('customers', 'profiles', 'users', 'leads')"
        )
    }
    people: dict[str, set[int]] = defaultdict(set)
    customers: dict[int, set[str]] = defaultdict(set)
    for record_key, customer_id in _rows(
        warehouse, "select record_key, customer_id from customers.identity_links"
    ):
        pid = person_of[record_key]
        people[customer_id].add(pid)
        customers[pid].add(customer_id)
    clean = {
        pid: next(iter(ids))
        for pid, ids in customers.items()
        if len(ids) == 1 and len(people[next(iter(ids))]) == 1
    }
    assert len(clean) > 0.8 * len(customers), "identity should resolve most people cleanly"
    return {c: p for p, c in clean.items()}, clean


def test_analytics_match_the_worlds_truth(
    emulator: EmulatorServer, any_warehouse: Warehouse, tmp_path
) -> None:
    env = {**world_env(emulator), "OMNIHUB_DATA_DIR": str(tmp_path)}
    ingest_world(env, any_warehouse)
    run_dbt(any_warehouse, env, "build")  # models, data tests (weights sum to 1) and unit tests
    now = _ts(env["OMNIHUB_AS_OF"])

    with TruthStore(emulator.world_dir) as truth, WorldStore(emulator.world_dir) as world:
        person_of_customer, customer_of_person = _people_of_customers(any_warehouse, truth)
        purchases = {
            _order_key(platform, oid): (pid, channel, _ts(at), net, arrival)
            for platform, oid, pid, channel, at, net, arrival in truth.conn.execute(
                "select platform, id, person_id, channel, ordered_at, net_cents, arrival "
                "from orders"
            )
        }
        checkouts = {
            f"shopify:checkout:{rid}": (truth.person_of("shopify", "checkouts", rid), _ts(at))
            for rid, at in world.conn.execute(
                "select id, created_at from records "
                "where platform = 'shopify' and stream = 'checkouts' and deleted = 0"
            )
        }
        leads = {
            f"meta_ads:lead:{rid}": (truth.person_of("meta_ads", "leads", rid), _ts(at))
            for rid, at in world.conn.execute(
                "select id, created_at from records "
                "where platform = 'meta_ads' and stream = 'leads'"
            )
        }
    assert any(a == "facebook_paid" for *_, a in purchases.values())

    # net revenue per purchase is the world's: partial refunds, online orders
    # returned in a store taken off the online order, store returns not store revenue
    net = dict(
        _rows(
            any_warehouse,
            "select order_key, net_revenue from intermediate.int_customers__orders "
            "where is_purchase",
        )
    )
    assert net.keys() == purchases.keys()
    for key, (_, _, _, cents, _) in purchases.items():
        assert net[key] * 100 == cents, key

    # lifetime value per person is the world's (people identity resolved one to one)
    value: dict[int, int] = defaultdict(int)
    for pid, _, _, cents, _ in purchases.values():
        value[pid] += cents
    ltv = dict(_rows(any_warehouse, "select customer_id, lifetime_value from customers.customers"))
    for customer_id, pid in person_of_customer.items():
        assert ltv[customer_id] == Decimal(value.get(pid, 0)) / 100, (customer_id, pid)

    # a web order's own session is an ad click exactly when it landed from a paid ad
    own_touch = dict(
        _rows(
            any_warehouse,
            "select order_key, touch_type from intermediate.int_analytics__touchpoints "
            "where order_key like 'shopify:order:%'",
        )
    )
    for key, (_, channel, _, _, arrival) in purchases.items():
        if channel == "web":
            expected = (
                "ad_click" if arrival in ("facebook_paid", "facebook_click_id") else "web_visit"
            )
            assert own_touch[key] == expected, (key, arrival)

    # every purchase is attributed under each of the five models, weights summing to 1
    sums = _rows(
        any_warehouse,
        "select order_key, attribution_model, sum(weight), min(weight), max(weight) "
        "from analytics.order_attribution group by order_key, attribution_model",
    )
    assert {(k, m) for k, m, *_ in sums} == {(k, m) for k in purchases for m in MODELS}
    for key, model, total, low, high in sums:
        assert abs(total - 1) < 1e-9 and 0 <= low <= high <= 1, (key, model, total)
    multi_touch = _rows(
        any_warehouse,
        "select count(distinct order_key) from analytics.order_attribution "
        "where touches_in_window >= 3",
    )[0][0]
    assert multi_touch > 0

    # journeys: each one of a cleanly resolved person completes as the world says
    bought: dict[int, list[datetime]] = defaultdict(list)
    for pid, _, at, _, _ in purchases.values():
        bought[pid].append(at)
    journeys = {
        started_by: (journey, is_completed)
        for journey, started_by, is_completed in _rows(
            any_warehouse,
            "select journey, started_by, is_completed from intermediate.int_analytics__journeys",
        )
    }
    carts = {"completed": 0, "not": 0, "late": 0}
    for started_by, (pid, started) in checkouts.items():
        if pid not in customer_of_person:
            continue
        times = bought[pid]
        completed = any(started < t <= started + CART_WINDOW for t in times)
        assert journeys[started_by] == ("cart_to_purchase", completed), started_by
        carts["completed" if completed else "not"] += 1
        carts["late"] += not completed and any(t > started + CART_WINDOW for t in times)
    assert carts["completed"] > 0 and carts["not"] > 0 and carts["late"] > 0, carts
    for started_by, (pid, started) in leads.items():
        if pid not in customer_of_person:
            continue
        first = min(bought[pid], default=None)
        if first is not None and first <= started:
            assert started_by not in journeys  # already a buyer: no lead -> first purchase
            continue
        completed = first is not None and first <= min(started + LEAD_WINDOW, now)
        assert journeys[started_by] == ("lead_to_first_purchase", completed), started_by

    # the journey mart counts what the per-journey rows say
    mart = {
        journey: (started, completed)
        for journey, started, completed in _rows(
            any_warehouse,
            "select journey, sum(started), sum(completed) from analytics.journey_completion "
            "group by journey",
        )
    }
    per_journey: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for journey, is_completed in journeys.values():
        per_journey[journey][0] += 1
        per_journey[journey][1] += int(is_completed)
    assert {j: tuple(v) for j, v in per_journey.items()} == mart

    # retention: every buyer is in one cohort; repeat customers bought twice
    buyers = defaultdict(int)
    for customer_id, count in _rows(
        any_warehouse,
        "select customer_id, count(*) from intermediate.int_analytics__purchases "
        "group by customer_id",
    ):
        buyers[customer_id] = count
    cohorts = _rows(
        any_warehouse,
        "select sum(customers), sum(repeat_customers) from analytics.retention_cohorts",
    )[0]
    assert tuple(cohorts) == (len(buyers), sum(1 for n in buyers.values() if n >= 2))

    # cross-channel engagement: shares, and every month of the world is there
    months = _rows(
        any_warehouse,
        "select month, active_customers, cross_channel_rate "
        "from analytics.cross_channel_engagement_monthly order by month",
    )
    assert len(months) >= 6
    assert all(active > 0 and 0 <= rate <= 1 for _, active, rate in months)
    assert any(rate > 0 for *_, rate in months)
