"""What the marketing report reads: one query per chart over the analytics
marts, so the report shows exactly what the marts say (no metric is computed
twice, only summed over a mart's additive columns)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
import yaml

from orchestration.defs.dbt.project import DBT_PROJECT_DIR
from warehouse import Warehouse

# The analytics models the report reads (dbt model names, schema `analytics`).
MODELS = (
    "cross_channel_engagement_monthly",
    "customer_value_by_channel_count",
    "retention_cohorts",
    "journey_completion",
    "order_attribution",
    "purchase_paths",
    "csat_by_segment",
    "channel_influence",
    "revenue_by_journey_stage",
    "journey_stage_flows",
    "lead_quality",
    "support_resolution_times",
    "support_topics",
)

_QUERIES = {
    "engagement": """
        select month, is_complete_month, active_customers, cross_channel_customers,
               cross_channel_rate
        from analytics.cross_channel_engagement_monthly
        order by month
    """,
    "value": """
        select breakdown, segment, customers, orders, net_revenue, orders_per_customer,
               lifetime_value_per_customer
        from analytics.customer_value_by_channel_count
        order by breakdown, segment_order
    """,
    "retention": """
        select cohort_month, channel_band, customers, repeat_customers
        from analytics.retention_cohorts
        order by cohort_month, channel_band
    """,
    "journeys": """
        select journey, start_month, window_days, started, completed, still_open,
               completion_rate, avg_hours_to_complete, median_hours_to_complete
        from analytics.journey_completion
        order by journey, start_month
    """,
    "attribution": """
        select attribution_model, touch_channel, sum(attributed_revenue) as revenue
        from analytics.order_attribution
        group by attribution_model, touch_channel
        order by attribution_model, touch_channel
    """,
    "paths": """
        select purchase_type, path, purchases, share_of_purchases, path_rank
        from analytics.purchase_paths
        where path_rank <= 8
        order by purchase_type, path_rank
    """,
    "csat": """
        select segment_type, segment, channel_band, ratings, good_ratings, csat
        from analytics.csat_by_segment
        order by segment_type, segment, channel_band
    """,
    "influence": """
        select purchase_type, touch_channel, paths, paths_with_channel, influence_share
        from analytics.channel_influence
        order by purchase_type, touch_channel
    """,
    "stage_revenue": """
        select month, stage, customers_at_month_end, purchases, net_revenue
        from analytics.revenue_by_journey_stage
        order by month, stage_order
    """,
    "stage_flows": """
        select month, from_stage, to_stage, is_stay, customers
        from analytics.journey_stage_flows
        order by month, from_stage, to_stage
    """,
    "lead_quality": """
        select source_type, source_id, source_name, leads, converted, still_open,
               conversion_rate, median_days_to_first_purchase, avg_first_order_value
        from analytics.lead_quality
        order by source_type, source_id
    """,
    "support_times": """
        select segment_type, segment, tickets, replied, solved, median_first_reply_hours,
               median_resolution_hours, replied_within_target_share, solved_within_target_share
        from analytics.support_resolution_times
        order by segment_type, segment
    """,
    "support_topics": """
        select segment_type, segment, topic_type, topic, tickets, segment_tickets,
               share_of_tickets, topic_rank
        from analytics.support_topics
        order by segment_type, segment, topic_type, topic_rank
    """,
}


def _plain(value: Any) -> Any:
    """Decimals as floats (plotly and JSON metadata want numbers), dates kept."""
    return float(value) if isinstance(value, Decimal) else value


@dataclass(frozen=True)
class ReportData:
    engagement: list[dict[str, Any]]
    value: list[dict[str, Any]]
    retention: list[dict[str, Any]]
    journeys: list[dict[str, Any]]
    attribution: list[dict[str, Any]]
    paths: list[dict[str, Any]]
    csat: list[dict[str, Any]]
    settings: dict[str, Any]
    """The dbt project's analytics vars (windows, weights), so the report's
    explanations say what the marts did."""
    # issue 10's measures (charts in measures.py); empty by default so a caller
    # building ReportData by hand for the older charts need not name them
    influence: list[dict[str, Any]] = field(default_factory=list)
    stage_revenue: list[dict[str, Any]] = field(default_factory=list)
    stage_flows: list[dict[str, Any]] = field(default_factory=list)
    lead_quality: list[dict[str, Any]] = field(default_factory=list)
    support_times: list[dict[str, Any]] = field(default_factory=list)
    support_topics: list[dict[str, Any]] = field(default_factory=list)

    def headline(self) -> dict[str, float | str | None]:
        """The figures a marketer asks for first (also the asset's metadata)."""
        complete = [r for r in self.engagement if r["is_complete_month"]]
        last = complete[-1] if complete else None
        ltv = {r["segment"]: r["lifetime_value_per_customer"] for r in self.value}
        single, omni = ltv.get("single-channel"), ltv.get("omnichannel")
        buyers = sum(r["customers"] for r in self.retention)
        repeat = sum(r["repeat_customers"] for r in self.retention)
        return {
            "cross_channel_rate_last_month": last["cross_channel_rate"] if last else None,
            "last_complete_month": last["month"].isoformat() if last else None,
            "omnichannel_vs_single_channel_ltv": omni / single if omni and single else None,
            "repeat_purchase_rate": repeat / buyers if buyers else None,
        }


def analytics_settings() -> dict[str, Any]:
    """The `analytics_*` vars of dbt_project.yml, without the prefix."""
    variables = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    return {
        key.removeprefix("analytics_"): value
        for key, value in variables.items()
        if key.startswith("analytics_")
    }


def read(warehouse: Warehouse) -> ReportData:
    with warehouse.transaction() as conn:
        found = {
            name: [
                {key: _plain(value) for key, value in row._mapping.items()}
                for row in conn.execute(sa.text(sql))
            ]
            for name, sql in _QUERIES.items()
        }
    return ReportData(**found, settings=analytics_settings())
