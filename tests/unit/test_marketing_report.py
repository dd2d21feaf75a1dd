"""The marketing report: in the daily job after the analytics marts, and one
self-contained page (plotly inline, nothing fetched) with a chart per metric."""

from __future__ import annotations

import re
from datetime import date

from dagster import AssetKey

from orchestration.definitions import defs
from orchestration.defs.reports.page import render_html
from orchestration.defs.reports.queries import MODELS, ReportData, analytics_settings

KEY = AssetKey(["reports", "marketing_report"])


def _data() -> ReportData:
    months = [date(2026, 5, 1), date(2026, 6, 1)]
    return ReportData(
        engagement=[
            {
                "month": m,
                "is_complete_month": i == 0,
                "active_customers": 10,
                "cross_channel_customers": 3,
                "cross_channel_rate": 0.3,
            }
            for i, m in enumerate(months)
        ],
        value=[
            {
                "breakdown": b,
                "segment": s,
                "customers": 5,
                "orders": 7,
                "net_revenue": 500.0,
                "orders_per_customer": 1.4,
                "lifetime_value_per_customer": v,
            }
            for b, s, v in (
                ("channel_count", "1", 100.0),
                ("channel_count", "2", 250.0),
                ("omnichannel", "single-channel", 100.0),
                ("omnichannel", "omnichannel", 250.0),
            )
        ],
        retention=[
            {"cohort_month": m, "channel_band": "1", "customers": 4, "repeat_customers": 1}
            for m in months
        ],
        journeys=[
            {
                "journey": "cart_to_purchase",
                "start_month": months[0],
                "window_days": 7,
                "started": 4,
                "completed": 2,
                "still_open": 0,
                "completion_rate": 0.5,
                "avg_hours_to_complete": 36.0,
                "median_hours_to_complete": 30.0,
            }
        ],
        attribution=[
            {"attribution_model": "linear", "touch_channel": "email", "revenue": 10.0},
            {"attribution_model": "linear", "touch_channel": "web", "revenue": 90.0},
        ],
        paths=[
            {
                "purchase_type": "first_purchase",
                "path": "email > web",
                "purchases": 3,
                "share_of_purchases": 0.6,
                "path_rank": 1,
            }
        ],
        csat=[
            {
                "segment_type": "loyalty_tier",
                "segment": "member",
                "channel_band": "2",
                "ratings": 4,
                "good_ratings": 3,
                "csat": 0.75,
            }
        ],
        settings=analytics_settings(),
    )


def test_the_daily_job_builds_the_report_after_every_analytics_mart() -> None:
    graph = defs.resolve_asset_graph()
    parents = {key.to_user_string() for key in graph.get(KEY).parent_keys}
    assert parents == {f"marts/analytics/{model}" for model in MODELS}
    assert graph.get(KEY).group_name == "reports"
    assert KEY in defs.resolve_job_def("daily").asset_layer.selected_asset_keys


def test_the_page_is_self_contained_with_a_chart_per_metric() -> None:
    data = _data()
    page, charts = render_html(data, "2026-06-15T00:00:00Z")
    assert len(charts) == 13 == int(re.search(r"data-charts='(\d+)'", page).group(1))
    assert page.count('class="plotly-graph-div"') == len(charts)
    # plotly.js is inlined once; nothing is loaded from elsewhere
    assert page.count("<script type='text/javascript'>") == 1
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", page)
    assert "cdn." not in page.split("<main>")[1]
    for chart in charts:
        assert chart.title in page and len(chart.how_to_read) > 40
    assert data.headline() == {
        "cross_channel_rate_last_month": 0.3,
        "last_complete_month": "2026-05-01",
        "omnichannel_vs_single_channel_ltv": 2.5,
        "repeat_purchase_rate": 0.25,
    }
