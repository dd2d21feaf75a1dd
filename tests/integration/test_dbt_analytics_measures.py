"""The measures issue 10 adds to the analytics (channel influence, journey
stages and flows, lead quality, support resolution times and topics), built by
real dbt on a real ingest of the sandbox world (DuckDB), against what the
world's own records say: lead quality is recomputed from the Meta leads and
the world's orders, resolution times from the Zendesk tickets' Ticket Metrics."""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from sandbox.server import EmulatorServer
from sandbox.store import TruthStore, WorldStore
from tests.integration.pipeline import ingest_world, run_dbt, world_env
from warehouse import Warehouse

LEAD_WINDOW = timedelta(days=90)  # dbt var analytics_lead_window_days
REPLY_TARGET_MINUTES = 24 * 60  # dbt var analytics_support_first_reply_target_hours


def _ts(value: str) -> datetime:
    return datetime.strptime(value[:19], "%Y-%m-%dT%H:%M:%S")


def _rows(warehouse: Warehouse, sql: str) -> list[Any]:
    with warehouse.transaction() as conn:
        return conn.execute(sa.text(sql)).all()


@pytest.mark.parametrize("any_warehouse", ["duckdb"], indirect=True)
def test_new_measures_match_the_worlds_records(
    emulator: EmulatorServer, any_warehouse: Warehouse, tmp_path
) -> None:
    env = {**world_env(emulator), "OMNIHUB_DATA_DIR": str(tmp_path)}
    ingest_world(env, any_warehouse)
    # the new marts and everything upstream, with their data and unit tests
    run_dbt(
        any_warehouse,
        env,
        "build",
        "--indirect-selection",
        "cautious",
        "--select",
        "+channel_influence",
        "+revenue_by_journey_stage",
        "+journey_stage_flows",
        "+lead_quality",
        "+support_resolution_times",
        "+support_topics",
    )
    now = _ts(env["OMNIHUB_AS_OF"])

    with TruthStore(emulator.world_dir) as truth, WorldStore(emulator.world_dir) as world:
        first_purchase: dict[int, tuple[datetime, int]] = {}
        for pid, at, cents in truth.conn.execute(
            "select person_id, ordered_at, net_cents from orders order by ordered_at, platform, id"
        ):
            first_purchase.setdefault(pid, (_ts(at), cents))
        leads = [
            (truth.person_of("meta_ads", "leads", rid), json.loads(payload))
            for rid, payload in world.conn.execute(
                "select id, payload from records "
                "where platform = 'meta_ads' and stream = 'leads' and deleted = 0"
            )
        ]
        tickets = [
            json.loads(payload)
            for (payload,) in world.conn.execute(
                "select payload from records "
                "where platform = 'zendesk' and stream = 'tickets' and deleted = 0"
            )
        ]

    # -- lead quality per form: the world's leads and first purchases ----------
    expected: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"leads": 0, "converted": 0, "days": [], "cents": 0}
    )
    for pid, lead in leads:
        at = _ts(lead["created_time"])
        first = first_purchase.get(pid)
        if first is not None and first[0] <= at:
            continue  # already a customer: not a lead -> first purchase journey
        cell = expected[lead["form_id"]]
        cell["leads"] += 1
        if first is not None and first[0] <= min(at + LEAD_WINDOW, now):
            cell["converted"] += 1
            cell["days"].append((first[0] - at).total_seconds() / 86400)
            cell["cents"] += first[1]
    forms = {
        source_id: (leads_, converted, rate, median_days, revenue)
        for source_id, leads_, converted, rate, median_days, revenue in _rows(
            any_warehouse,
            "select source_id, leads, converted, conversion_rate, median_days_to_first_purchase, "
            "first_order_revenue from analytics.lead_quality where source_type = 'form'",
        )
    }
    assert forms.keys() == expected.keys() and len(forms) >= 2
    assert sum(c["converted"] for c in expected.values()) > 0
    for form, cell in expected.items():
        leads_, converted, rate, median_days, revenue = forms[form]
        assert (leads_, converted) == (cell["leads"], cell["converted"]), form
        assert rate == pytest.approx(cell["converted"] / cell["leads"]), form
        assert revenue * 100 == cell["cents"], form
        if cell["days"]:
            assert median_days == pytest.approx(statistics.median(cell["days"])), form
    # the campaign and ad breakdowns count the same leads
    totals = _rows(
        any_warehouse,
        "select source_type, sum(leads), sum(converted) from analytics.lead_quality "
        "group by source_type",
    )
    leads_total = sum(c["leads"] for c in expected.values())
    converted_total = sum(c["converted"] for c in expected.values())
    assert {tuple(r[1:]) for r in totals} == {(leads_total, converted_total)}

    # -- support resolution times: the tickets' Ticket Metrics -----------------
    current = [t for t in tickets if _ts(t["created_at"]) <= now]
    replies = [
        t["metric_set"]["reply_time_in_minutes"]["calendar"]
        for t in current
        if t["metric_set"]["reply_time_in_minutes"]["calendar"] is not None
    ]
    solves = [
        t["metric_set"]["full_resolution_time_in_minutes"]["calendar"]
        for t in current
        if t["metric_set"]["full_resolution_time_in_minutes"]["calendar"] is not None
    ]
    assert replies and solves and len(replies) < len(current)
    overall = _rows(
        any_warehouse,
        "select tickets, replied, solved, avg_first_reply_hours, median_first_reply_hours, "
        "avg_resolution_hours, median_resolution_hours, replied_within_target_share "
        "from analytics.support_resolution_times where segment_type = 'all'",
    )[0]
    assert tuple(overall[:3]) == (len(current), len(replies), len(solves))
    assert overall[3] == pytest.approx(statistics.mean(replies) / 60)
    assert overall[4] == pytest.approx(statistics.median(replies) / 60)
    assert overall[5] == pytest.approx(statistics.mean(solves) / 60)
    assert overall[6] == pytest.approx(statistics.median(solves) / 60)
    within = sum(1 for m in replies if m <= REPLY_TARGET_MINUTES) / len(replies)
    assert overall[7] == pytest.approx(within)
    # every segmentation splits the same tickets
    per_type = dict(
        _rows(
            any_warehouse,
            "select segment_type, sum(tickets) from analytics.support_resolution_times "
            "group by segment_type",
        )
    )
    assert per_type == {
        t: len(current) for t in ("all", "loyalty_tier", "lifecycle_stage", "channel_band")
    }

    # -- support topics: the world's tags, overall ------------------------------
    tag_counts = Counter(tag for t in current for tag in set(t["tags"]))
    top = _rows(
        any_warehouse,
        "select topic, tickets from analytics.support_topics "
        "where segment_type = 'all' and topic_type = 'tag' order by topic_rank",
    )
    ranked = sorted(tag_counts.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    assert [tuple(r) for r in top] == ranked

    # -- channel influence: shares within (0, 1], web or ads in every online path
    influence = _rows(
        any_warehouse,
        "select purchase_type, touch_channel, paths, paths_with_channel, influence_share "
        "from analytics.channel_influence",
    )
    assert {r[0] for r in influence} == {"first_purchase", "repeat_purchase"}
    for _, _, paths, with_channel, share in influence:
        assert 0 < with_channel <= paths and share == pytest.approx(with_channel / paths)
    purchases = _rows(
        any_warehouse,
        "select count(*), sum(case when is_first_purchase then 1 else 0 end) "
        "from intermediate.int_analytics__purchases",
    )[0]
    paths_by_type = {r[0]: r[2] for r in influence}
    assert paths_by_type == {
        "first_purchase": purchases[1],
        "repeat_purchase": purchases[0] - purchases[1],
    }

    # -- journey stages: revenue adds up to all purchases; flows to headcounts -
    revenue = _rows(
        any_warehouse,
        "select sum(net_revenue), sum(purchases) from analytics.revenue_by_journey_stage",
    )[0]
    total = _rows(
        any_warehouse,
        "select sum(net_revenue), count(*) from intermediate.int_analytics__purchases",
    )[0]
    assert tuple(revenue) == tuple(total)
    flows = dict(
        (tuple(r[:2]), r[2])
        for r in _rows(
            any_warehouse,
            "select month, to_stage, sum(customers) from analytics.journey_stage_flows "
            "group by month, to_stage",
        )
    )
    heads = {
        (m, s): n
        for m, s, n in _rows(
            any_warehouse,
            "select month, stage, customers_at_month_end from analytics.revenue_by_journey_stage "
            "where customers_at_month_end > 0",
        )
    }
    assert flows == heads and any(s == "loyal" for _, s in heads)
