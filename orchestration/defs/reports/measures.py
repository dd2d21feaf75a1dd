"""The report's charts for the measures issue 10 added to the analytics (channel
influence, journey stages and their flows, lead quality, support resolution
times, what support hears): kept apart from charts.py so each chart still reads
exactly one mart and the older charts stay untouched."""

from __future__ import annotations

from collections import defaultdict

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from orchestration.defs.reports.charts import (
    _LAYOUT,
    _MONTHS,
    BAND_LABELS,
    CHANNEL_COLORS,
    NO_VALUE,
    Chart,
    _empty,
    percent,
)
from orchestration.defs.reports.queries import ReportData

STAGES = ("lead", "first_purchase", "repeat", "loyal")
STAGE_LABELS = {
    "new": "Entered",
    "lead": "Lead",
    "first_purchase": "First purchase",
    "repeat": "Repeat",
    "loyal": "Loyal",
}
STAGE_COLORS = {
    "lead": "#F58518",
    "first_purchase": "#9ECAE1",
    "repeat": "#4292C6",
    "loyal": "#08519C",
}


def influence(data: ReportData) -> Chart:
    figure = go.Figure()
    kinds = {"first_purchase": "To a first purchase", "repeat_purchase": "To a repeat purchase"}
    for channel in ("email", "ads", "web", "store"):
        cells = {r["purchase_type"]: r for r in data.influence if r["touch_channel"] == channel}
        if not cells:
            continue
        present = [k for k in kinds if k in cells]
        figure.add_bar(
            x=[kinds[k] for k in present],
            y=[cells[k]["influence_share"] for k in present],
            text=[percent(cells[k]["influence_share"]) for k in present],
            textposition="outside",
            customdata=[[cells[k]["paths_with_channel"], cells[k]["paths"]] for k in present],
            name=channel.capitalize(),
            marker_color=CHANNEL_COLORS[channel],
            hovertemplate=(
                f"{channel}: in %{{y:.0%}} of paths (%{{customdata[0]}} of %{{customdata[1]}})"
                "<extra></extra>"
            ),
        )
    figure.update_layout(
        **_LAYOUT,
        barmode="group",
        yaxis={"title": "Share of paths with the channel", "tickformat": ".0%", "range": [0, 1.15]},
    )
    if not data.influence:
        _empty(figure)
    return Chart(
        "influence",
        "Which channels appear on the way to a purchase?",
        "Of all paths to a first purchase and to a repeat purchase (the touches in the "
        f"{data.settings['attribution_lookback_days']} days before buying, the buying visit "
        "included), the share in which each channel appears at least once. A path can hold "
        "several channels, so the bars of one purchase type add up to more than 100%.",
        figure,
    )


def stage_revenue(data: ReportData) -> Chart:
    figure = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("Net revenue by stage reached", "Customers in each stage at month end"),
        horizontal_spacing=0.1,
    )
    for stage in STAGES:
        rows = [r for r in data.stage_revenue if r["stage"] == stage]
        if not rows:
            continue
        if stage != "lead":  # leads have not bought: no revenue bar
            figure.add_bar(
                x=[r["month"] for r in rows],
                y=[r["net_revenue"] for r in rows],
                name=STAGE_LABELS[stage],
                legendgroup=stage,
                marker_color=STAGE_COLORS[stage],
                hovertemplate=f"{STAGE_LABELS[stage]}: $%{{y:,.0f}} in %{{x|%b %Y}}<extra></extra>",
                row=1,
                col=1,
            )
        figure.add_scatter(
            x=[r["month"] for r in rows],
            y=[r["customers_at_month_end"] for r in rows],
            name=STAGE_LABELS[stage],
            legendgroup=stage,
            showlegend=stage == "lead",
            mode="lines+markers",
            line={"color": STAGE_COLORS[stage], "width": 3},
            hovertemplate=f"{STAGE_LABELS[stage]}: %{{y}} customers<extra></extra>",
            row=1,
            col=2,
        )
    figure.update_layout(**_LAYOUT, barmode="stack")
    figure.update_xaxes(**_MONTHS)
    figure.update_yaxes(tickprefix="$", row=1, col=1)
    figure.update_yaxes(rangemode="tozero", row=1, col=2)
    if not data.stage_revenue:
        _empty(figure)
    return Chart(
        "stage_revenue",
        "Where does revenue come from in the customer journey?",
        "Left: each month's net revenue by the stage the purchase took the customer to (the "
        "first purchase; a repeat; loyal from the "
        f"{data.settings['loyal_min_purchases']}th purchase on). Right: how many customers "
        "were leads (sent a lead form, not bought yet), first-time, repeat and loyal buyers "
        "at the end of each month.",
        figure,
    )


def stage_flows(data: ReportData) -> Chart:
    moves = [r for r in data.stage_flows if not r["is_stay"]]
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for r in moves:
        totals[(r["from_stage"], r["to_stage"])] += r["customers"]
    sources = ("new", *STAGES)
    labels = [STAGE_LABELS[s] for s in sources]
    index = {s: i for i, s in enumerate(sources)}
    link_colors = {s: c.replace("#", "") for s, c in STAGE_COLORS.items()}
    figure = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={
                "label": labels,
                "pad": 24,
                "thickness": 18,
                "color": ["#BDBDBD", *(STAGE_COLORS[s] for s in STAGES)],
            },
            link={
                "source": [index[f] for f, _ in totals],
                "target": [index[t] for _, t in totals],
                "value": list(totals.values()),
                "color": [
                    "rgba({},{},{},0.35)".format(
                        *(int(link_colors[t][i : i + 2], 16) for i in (0, 2, 4))
                    )
                    for _, t in totals
                ],
                "hovertemplate": "%{source.label} → %{target.label}: %{value} customers"
                "<extra></extra>",
            },
        )
    )
    figure.update_layout(**{**_LAYOUT, "height": 460})
    if not totals:
        _empty(figure)
    months = sorted({r["month"] for r in moves})
    span = f" ({months[0]:%b %Y} to {months[-1]:%b %Y})" if months else ""
    return Chart(
        "stage_flows",
        "How do customers move between journey stages?",
        f"Every month-over-month move between stages{span}, added up: from 'Entered' (first "
        "seen as a lead or a buyer that month) to the stage they reached by the month's end. "
        "Customers who stayed in a stage are left out; hover a band for the count. The mart "
        "journey_stage_flows has the moves month by month.",
        figure,
    )


def lead_quality(data: ReportData) -> Chart:
    figure = make_subplots(
        rows=1,
        cols=3,
        subplot_titles=(
            "Lead → first purchase",
            "Median days to first purchase",
            "Average first order",
        ),
        shared_yaxes=True,
        horizontal_spacing=0.04,
    )
    order = {"campaign": 0, "form": 1, "ad": 2}
    rows = sorted(data.lead_quality, key=lambda r: (order[r["source_type"]], r["source_name"]))
    labels = [f"{r['source_type']}: {r['source_name']}" for r in rows][::-1]
    rows = rows[::-1]
    colors = {"campaign": "#F58518", "form": "#4C78A8", "ad": "#72B7B2"}
    columns = (
        ("conversion_rate", percent, ".0%"),
        ("median_days_to_first_purchase", lambda v: NO_VALUE if v is None else f"{v:.0f} d", ""),
        ("avg_first_order_value", lambda v: NO_VALUE if v is None else f"${v:,.0f}", ""),
    )
    for col, (field, fmt, tick) in enumerate(columns, start=1):
        figure.add_bar(
            y=labels,
            x=[r[field] or 0 for r in rows],
            orientation="h",
            marker_color=[colors[r["source_type"]] for r in rows],
            text=[fmt(r[field]) for r in rows],
            textposition="outside",
            customdata=[[r["converted"], r["leads"], r["still_open"]] for r in rows],
            hovertemplate=(
                "%{y}: %{customdata[0]} of %{customdata[1]} leads bought "
                "(%{customdata[2]} still open)<extra></extra>"
            ),
            showlegend=False,
            row=1,
            col=col,
        )
        widest = max((r[field] or 0 for r in rows), default=1.0) or 1.0
        figure.update_xaxes(range=[0, widest * 1.35], tickformat=tick, row=1, col=col)
    figure.update_layout(**{**_LAYOUT, "height": max(420, 28 * len(rows) + 140)})
    figure.update_layout(margin={"l": 200, "r": 30, "t": 40, "b": 40})
    if not rows:
        _empty(figure)
    return Chart(
        "lead_quality",
        "Which lead sources bring buyers?",
        "Meta lead forms from people who had not bought yet, by campaign, form and ad: the "
        f"share who made a first purchase within {data.settings['lead_window_days']} days, "
        "how long it took (median) and what the first order was worth (net). Recent leads "
        "may still convert; hover for counts.",
        figure,
    )


def support_times(data: ReportData) -> Chart:
    orders = {
        "channel_band": ["1", "2", "3+"],
        "loyalty_tier": ["none", "member", "silver", "gold", "platinum"],
        "lifecycle_stage": ["prospect", "new", "active", "lapsed"],
    }
    titles = {
        "channel_band": "channels",
        "loyalty_tier": "tier",
        "lifecycle_stage": "stage",
    }
    labels: list[str] = []
    cells: list[dict] = []
    for segment_type, segments in orders.items():
        by = {r["segment"]: r for r in data.support_times if r["segment_type"] == segment_type}
        for segment in segments:
            if segment in by:
                name = BAND_LABELS[segment] if segment_type == "channel_band" else segment
                labels.append(f"{titles[segment_type]}: {name}")
                cells.append(by[segment])
    figure = go.Figure()
    for field, name, color in (
        ("median_first_reply_hours", "First reply (median hours)", "#9ECAE1"),
        ("median_resolution_hours", "Full resolution (median hours)", "#08519C"),
    ):
        figure.add_bar(
            x=labels,
            y=[c[field] for c in cells],
            name=name,
            marker_color=color,
            text=[f"{c[field]:.0f}" if c[field] is not None else "" for c in cells],
            textposition="outside",
            customdata=[[c["tickets"], c["replied"], c["solved"]] for c in cells],
            hovertemplate=(
                "%{x}: %{y:.1f} h (%{customdata[0]} tickets, %{customdata[1]} replied, "
                "%{customdata[2]} solved)<extra></extra>"
            ),
        )
    figure.update_layout(
        **_LAYOUT,
        barmode="group",
        yaxis={"title": "Hours (median)", "rangemode": "tozero"},
    )
    if not cells:
        _empty(figure)
    overall = next((r for r in data.support_times if r["segment_type"] == "all"), None)
    settings = data.settings
    summary = (
        f" Overall {percent(overall['replied_within_target_share'])} of first replies came "
        f"within {settings['support_first_reply_target_hours']} hours and "
        f"{percent(overall['solved_within_target_share'])} of solved tickets were solved within "
        f"{settings['support_resolution_target_hours']}."
        if overall
        else ""
    )
    return Chart(
        "support_times",
        "How fast does support answer and resolve?",
        "Median hours from a ticket being opened to the first agent reply and to its full "
        "resolution (Zendesk ticket metrics), by how many channels the customer uses, "
        "loyalty tier and lifecycle stage. Tickets not yet answered or solved are not in the "
        "times." + summary,
        figure,
    )


def support_topics(data: ReportData) -> Chart:
    stages = {r["segment"] for r in data.support_topics if r["segment_type"] == "lifecycle_stage"}
    segments = ["all", *sorted(stages)]
    rows = [
        r
        for r in data.support_topics
        if r["topic_type"] == "tag"
        and (r["segment_type"] == "lifecycle_stage" or r["segment_type"] == "all")
    ]
    topics = sorted({r["topic"] for r in rows})
    palette = ["#4C78A8", "#F58518", "#54A24B", "#E45756", "#B279A2", "#9D755D", "#72B7B2"]
    figure = go.Figure()
    for i, topic in enumerate(topics):
        share = {r["segment"]: r for r in rows if r["topic"] == topic}
        figure.add_bar(
            x=["All customers" if s == "all" else s.capitalize() for s in segments],
            y=[share[s]["share_of_tickets"] if s in share else None for s in segments],
            name=topic.replace("_", " "),
            marker_color=palette[i % len(palette)],
            customdata=[
                [share[s]["tickets"], share[s]["segment_tickets"]] if s in share else [0, 0]
                for s in segments
            ],
            hovertemplate=(
                f"{topic}: %{{y:.0%}} of tickets (%{{customdata[0]}} of %{{customdata[1]}})"
                "<extra></extra>"
            ),
        )
    figure.update_layout(
        **_LAYOUT,
        barmode="group",
        yaxis={"title": "Share of the segment's tickets", "tickformat": ".0%"},
    )
    if not rows:
        _empty(figure)
    return Chart(
        "support_topics",
        "What does support hear about?",
        "For the content team: the most common ticket tags (top "
        f"{data.settings['support_topics_kept']} per segment) as a share of each lifecycle "
        "stage's tickets; a ticket can carry several tags. The mart support_topics also has "
        "subjects and loyalty tiers.",
        figure,
    )


def measure_charts(data: ReportData) -> list[Chart]:
    return [
        influence(data),
        stage_revenue(data),
        stage_flows(data),
        lead_quality(data),
        support_times(data),
        support_topics(data),
    ]
