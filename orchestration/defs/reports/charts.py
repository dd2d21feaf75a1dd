"""The marketing report's charts: one plotly figure per metric, with a title a
marketer understands and a line on how to read it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from orchestration.defs.reports.queries import ReportData

CHANNEL_COLORS = {
    "email": "#4C78A8",
    "ads": "#F58518",
    "web": "#54A24B",
    "store": "#B279A2",
    "support": "#9D755D",
}
BAND_COLORS = {"1": "#9ECAE1", "2": "#4292C6", "3+": "#08519C", "none": "#BDBDBD"}
BAND_LABELS = {"1": "1 channel", "2": "2 channels", "3+": "3+ channels", "none": "no channel"}
MODEL_LABELS = {
    "first_touch": "First touch",
    "last_touch": "Last touch",
    "linear": "Linear",
    "time_decay": "Time decay",
    "position_based": "Position-based",
}
JOURNEY_LABELS = {
    "cart_to_purchase": "Abandoned cart → bought",
    "lead_to_first_purchase": "Lead → first purchase",
}
# Months are dates on the x axis (not labels), so every trace lines up in time.
_MONTHS = {"type": "date", "tickformat": "%b %Y", "dtick": "M1"}
_LAYOUT = {
    "template": "plotly_white",
    "height": 420,
    "margin": {"l": 60, "r": 30, "t": 30, "b": 60},
    "legend": {"orientation": "h", "y": -0.18},
    "font": {"family": "Helvetica, Arial, sans-serif", "size": 13},
}


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    how_to_read: str
    figure: go.Figure


def _empty(figure: go.Figure) -> go.Figure:
    figure.add_annotation(text="No data yet", showarrow=False, font={"size": 18})
    return figure


NO_VALUE = "\u2013"  # an en dash where there is nothing to show yet


def percent(value: float | None) -> str:
    if value is None:
        return NO_VALUE
    return "<1%" if 0 < value < 0.005 else f"{value:.0%}"


def times(value: float | None) -> str:
    """A ratio as '2.3x' (with the multiplication sign)."""
    return NO_VALUE if value is None else f"{value:.1f}\u00d7"


def engagement(data: ReportData) -> Chart:
    rows = data.engagement
    figure = go.Figure()
    # the counts on the base axis (right), the share overlaid so it draws on top
    figure.add_bar(
        x=[r["month"] for r in rows],
        y=[r["active_customers"] for r in rows],
        name="Active customers",
        marker_color="#DDE6F0",
        hovertemplate="%{x|%b %Y}: %{y} active customers<extra></extra>",
    )
    figure.add_scatter(
        x=[r["month"] for r in rows],
        yaxis="y2",
        y=[r["cross_channel_rate"] for r in rows],
        name=f"Engaged on {data.settings['cross_channel_min_channels']}+ channels",
        mode="lines+markers+text",
        text=[
            percent(r["cross_channel_rate"]) + ("*" if not r["is_complete_month"] else "")
            for r in rows
        ],
        textposition="top center",
        line={"color": CHANNEL_COLORS["email"], "width": 3},
        hovertemplate="%{x|%b %Y}: %{y:.1%} of active customers<extra></extra>",
    )
    figure.update_layout(
        **_LAYOUT,
        xaxis=_MONTHS,
        yaxis={
            "title": "Active customers",
            "side": "right",
            "showgrid": False,
            "tickformat": ",d",
            "rangemode": "tozero",
        },
        yaxis2={
            "title": "Share of active customers",
            "overlaying": "y",
            "side": "left",
            "tickformat": ".0%",
            "range": [0, max((r["cross_channel_rate"] for r in rows), default=1.0) * 1.3],
        },
    )
    if not rows:
        _empty(figure)
    least = data.settings["cross_channel_min_channels"]
    return Chart(
        "engagement",
        "How many active customers use more than one channel?",
        "Each month, of the customers who did something (opened or clicked an email, answered "
        "an ad, shopped online or in store, contacted support), the share who did it on "
        f"{least} or more channels. Grey bars: how many were active. * the month is still "
        "running.",
        figure,
    )


def value(data: ReportData) -> Chart:
    rows = [r for r in data.value if r["breakdown"] == "channel_count"]
    headline = data.headline()["omnichannel_vs_single_channel_ltv"]
    figure = go.Figure()
    figure.add_bar(
        x=[BAND_LABELS[r["segment"]] for r in rows],
        y=[r["lifetime_value_per_customer"] for r in rows],
        marker_color=[BAND_COLORS[r["segment"]] for r in rows],
        text=[f"${r['lifetime_value_per_customer']:,.0f}" for r in rows],
        textposition="outside",
        customdata=[[r["customers"], r["orders_per_customer"]] for r in rows],
        hovertemplate=(
            "%{x}: $%{y:,.2f} per customer<br>%{customdata[0]} customers, "
            "%{customdata[1]:.2f} orders each<extra></extra>"
        ),
        name="Lifetime value per customer",
    )
    figure.update_layout(**_LAYOUT, yaxis={"title": "Net revenue per customer", "tickprefix": "$"})
    if not rows:
        _empty(figure)
    return Chart(
        "value",
        "Are omnichannel customers worth more?",
        "Net revenue per customer (after refunds and returns, an online order returned in a "
        "store counted against the online sale), by how many channels the customer has used. "
        f"Customers on two or more channels are worth {times(headline)} a single-channel "
        "customer.",
        figure,
    )


def retention(data: ReportData) -> Chart:
    cohorts: dict[object, list[int]] = defaultdict(lambda: [0, 0])
    by_band: dict[str, dict[object, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for r in data.retention:
        for bucket in (cohorts[r["cohort_month"]], by_band[r["channel_band"]][r["cohort_month"]]):
            bucket[0] += r["customers"]
            bucket[1] += r["repeat_customers"]
    figure = go.Figure()
    for band in ("1", "2", "3+"):
        months = sorted(by_band.get(band, {}))
        figure.add_scatter(
            x=months,
            y=[by_band[band][m][1] / by_band[band][m][0] for m in months],
            customdata=[by_band[band][m] for m in months],
            name=BAND_LABELS[band],
            mode="lines+markers",
            line={"color": BAND_COLORS[band]},
            hovertemplate=(
                "%{x|%b %Y}: %{y:.0%} bought again (%{customdata[1]} of %{customdata[0]})"
                "<extra></extra>"
            ),
        )
    months = sorted(cohorts)
    figure.add_scatter(
        x=months,
        y=[cohorts[m][1] / cohorts[m][0] for m in months],
        name="All first-time buyers",
        mode="lines+markers",
        line={"color": "#333333", "width": 3, "dash": "dot"},
        hovertemplate="%{x|%b %Y}: %{y:.0%} bought again<extra></extra>",
    )
    figure.update_layout(
        **_LAYOUT,
        xaxis={**_MONTHS, "title": "Month of first purchase"},
        yaxis={"title": "Bought again", "tickformat": ".0%", "rangemode": "tozero"},
    )
    if not months:
        _empty(figure)
    return Chart(
        "retention",
        "Do first-time buyers come back?",
        "Customers grouped by the month of their first purchase (online or in store): the "
        "share who have bought again since, overall and by how many channels they use. "
        "Recent months have had less time to come back.",
        figure,
    )


def journeys(data: ReportData) -> Chart:
    figure = go.Figure()
    colors = {"cart_to_purchase": "#54A24B", "lead_to_first_purchase": "#F58518"}
    windows: dict[str, int] = {}
    totals: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0.0])
    for journey in JOURNEY_LABELS:
        rows = [r for r in data.journeys if r["journey"] == journey]
        if not rows:
            continue
        windows[journey] = rows[0]["window_days"]
        for r in rows:
            totals[journey][0] += r["started"]
            totals[journey][1] += r["completed"]
            totals[journey][2] += r["completed"] * (r["avg_hours_to_complete"] or 0.0)
        figure.add_bar(
            x=[r["start_month"] for r in rows],
            y=[r["completion_rate"] for r in rows],
            name=f"{JOURNEY_LABELS[journey]} within {windows[journey]} days",
            marker_color=colors[journey],
            customdata=[
                [r["completed"], r["started"], r["still_open"], r["median_hours_to_complete"] or 0]
                for r in rows
            ],
            hovertemplate=(
                "%{x|%b %Y}: %{y:.0%} (%{customdata[0]} of %{customdata[1]}, "
                "%{customdata[2]} still open)<br>median %{customdata[3]:.0f} hours to complete"
                "<extra></extra>"
            ),
        )
    figure.update_layout(
        **_LAYOUT,
        barmode="group",
        xaxis={**_MONTHS, "title": "Month the journey started"},
        yaxis={"title": "Completed", "tickformat": ".0%", "rangemode": "tozero"},
    )
    if not windows:
        _empty(figure)
    overall = "; ".join(
        f"{JOURNEY_LABELS[j].lower()}: {percent(c / s if s else None)} overall, "
        f"after {hours / c / 24:.1f} days on average"
        for j, (s, c, hours) in totals.items()
        if c
    )
    return Chart(
        "journeys",
        "Do abandoned carts and leads turn into purchases?",
        "Of the carts abandoned (or lead forms sent) in a month, the share bought within the "
        f"window ({overall}). Hover for the median time it took. Recent months include "
        "journeys whose window is still open.",
        figure,
    )


def attribution(data: ReportData) -> Chart:
    revenue: dict[tuple[str, str], float] = {
        (r["attribution_model"], r["touch_channel"]): r["revenue"] or 0.0 for r in data.attribution
    }
    models = [m for m in MODEL_LABELS if any(k[0] == m for k in revenue)]
    figure = go.Figure()
    for channel in ("email", "ads", "web", "store"):
        if not any(k[1] == channel for k in revenue):
            continue
        figure.add_bar(
            x=[MODEL_LABELS[m] for m in models],
            y=[revenue.get((m, channel), 0.0) for m in models],
            name=channel.capitalize(),
            marker_color=CHANNEL_COLORS[channel],
            hovertemplate=f"{channel}: $%{{y:,.0f}} under %{{x}}<extra></extra>",
        )
    figure.update_layout(
        **_LAYOUT,
        barmode="stack",
        yaxis={"title": "Net revenue credited", "tickprefix": "$"},
    )
    if not models:
        _empty(figure)
    settings = data.settings
    first, last = settings["position_first_weight"], settings["position_last_weight"]
    return Chart(
        "attribution",
        "Which channels get the credit for sales?",
        "All net revenue, split among each order's touches in the "
        f"{settings['attribution_lookback_days']} days before it (email clicks, ad clicks and "
        "lead forms, store visits, web visits; the buying visit included) by five rules: all "
        "to the first or to the last touch, equal shares, more to recent touches (time decay, "
        f"halving every {settings['attribution_half_life_days']} days), or {first:.0%} first / "
        f"{last:.0%} last / the rest in between (position-based).",
        figure,
    )


def paths(data: ReportData) -> Chart:
    figure = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("To a first purchase", "To a repeat purchase"),
        horizontal_spacing=0.22,
    )
    for col, (kind, color) in enumerate(
        (("first_purchase", "#4C78A8"), ("repeat_purchase", "#72B7B2")), start=1
    ):
        rows = [r for r in data.paths if r["purchase_type"] == kind][::-1]
        figure.add_bar(
            y=[r["path"].replace(" > ", " → ") for r in rows],
            x=[r["share_of_purchases"] for r in rows],
            orientation="h",
            marker_color=color,
            text=[percent(r["share_of_purchases"]) for r in rows],
            textposition="outside",
            customdata=[r["purchases"] for r in rows],
            hovertemplate="%{y}: %{x:.0%} (%{customdata} purchases)<extra></extra>",
            showlegend=False,
            row=1,
            col=col,
        )
        widest = max((r["share_of_purchases"] for r in rows), default=1.0)
        figure.update_xaxes(tickformat=".0%", range=[0, widest * 1.25], row=1, col=col)
    figure.update_layout(**{**_LAYOUT, "height": 460})
    if not data.paths:
        _empty(figure)
    return Chart(
        "paths",
        "Which journeys lead to a purchase?",
        f"The channels a customer touched in the {data.settings['attribution_lookback_days']} "
        "days before buying, in order (repeated touches on one channel counted once), ending "
        "with the channel they bought through: 'ads' when the buying visit came from an ad. "
        "Share of purchases taking each path; top 8 shown.",
        figure,
    )


def csat(data: ReportData) -> Chart:
    orders = {
        "loyalty_tier": ["member", "silver", "gold", "platinum"],
        "lifecycle_stage": ["prospect", "new", "active", "lapsed"],
    }
    figure = make_subplots(
        rows=1, cols=2, subplot_titles=("By loyalty tier", "By lifecycle stage"), shared_yaxes=True
    )
    for col, (segment_type, segments) in enumerate(orders.items(), start=1):
        rows = [r for r in data.csat if r["segment_type"] == segment_type]
        for band in ("1", "2", "3+"):
            cells = {r["segment"]: r for r in rows if r["channel_band"] == band}
            present = [s for s in segments if s in cells]
            if not present:
                continue
            figure.add_bar(
                x=[s.capitalize() for s in present],
                y=[cells[s]["csat"] for s in present],
                text=[percent(cells[s]["csat"]) for s in present],
                textposition="outside",
                customdata=[[cells[s]["good_ratings"], cells[s]["ratings"]] for s in present],
                name=BAND_LABELS[band],
                legendgroup=band,
                showlegend=col == 1,
                marker_color=BAND_COLORS[band],
                hovertemplate=(
                    "%{x}: %{y:.0%} good (%{customdata[0]} of %{customdata[1]} ratings)"
                    "<extra></extra>"
                ),
                row=1,
                col=col,
            )
    figure.update_yaxes(tickformat=".0%", range=[0, 1.15])
    figure.update_layout(**_LAYOUT, barmode="group")
    if not data.csat:
        _empty(figure)
    settings = data.settings
    return Chart(
        "csat",
        "How satisfied are customers with support?",
        "Share of support satisfaction ratings that were good, by loyalty tier and by lifecycle "
        f"stage (new: first purchase in the last {settings['new_customer_days']} days; active: "
        f"bought in the last {settings['lapsed_after_days']}; lapsed: longer ago; prospect: "
        "never bought), split by how many channels they use.",
        figure,
    )


def all_charts(data: ReportData) -> list[Chart]:
    return [
        engagement(data),
        value(data),
        retention(data),
        journeys(data),
        attribution(data),
        paths(data),
        csat(data),
    ]
