"""The marketing report as one self-contained HTML file: plotly.js inlined once,
no CDN, no fonts or images fetched, so it opens offline and can be mailed."""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import plotly.offline

from orchestration.defs.reports.charts import Chart, all_charts, percent, times
from orchestration.defs.reports.measures import measure_charts
from orchestration.defs.reports.queries import ReportData, read
from warehouse import Warehouse, data_dir

REPORT_NAME = "marketing_report.html"

_STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 0; background: #f5f6f8; color: #222; }
header { background: #1f2d3d; color: #fff; padding: 24px 40px; }
header h1 { margin: 0 0 4px; font-size: 26px; }
header p { margin: 0; color: #c9d3de; }
.kpis { display: flex; gap: 16px; padding: 20px 40px 0; flex-wrap: wrap; }
.kpi { background: #fff; border-radius: 8px; padding: 14px 20px; flex: 1; min-width: 200px;
       box-shadow: 0 1px 3px rgba(0,0,0,.08); }
.kpi .figure { font-size: 30px; font-weight: bold; color: #1f4e79; }
.kpi .label { color: #555; font-size: 14px; }
main { padding: 8px 40px 40px; }
section { background: #fff; border-radius: 8px; margin-top: 20px; padding: 16px 24px;
          box-shadow: 0 1px 3px rgba(0,0,0,.08); }
section h2 { margin: 4px 0 6px; font-size: 20px; }
section p.read { margin: 0 0 8px; color: #555; font-size: 14px; max-width: 1000px; }
"""


@dataclass(frozen=True)
class RenderedReport:
    path: Path
    charts: list[Chart]
    headline: dict[str, float | str | None]


def report_path(env: dict[str, str] | None = None) -> Path:
    """`$OMNIHUB_DATA_DIR/reports/marketing_report.html`."""
    return data_dir(env) / "reports" / REPORT_NAME


def _kpis(headline: dict[str, float | str | None]) -> str:
    rate, ratio, repeat = (
        headline["cross_channel_rate_last_month"],
        headline["omnichannel_vs_single_channel_ltv"],
        headline["repeat_purchase_rate"],
    )
    month = headline["last_complete_month"]
    cards = [
        (
            percent(rate),
            "of active customers used 2+ channels"
            + (f" in {datetime.fromisoformat(str(month)):%B %Y}" if month else ""),
        ),
        (
            times(ratio),
            "lifetime value, omnichannel vs single-channel",
        ),
        (percent(repeat), "of first-time buyers bought again"),
    ]
    return "".join(
        f'<div class="kpi"><div class="figure">{html.escape(figure)}</div>'
        f'<div class="label">{html.escape(label)}</div></div>'
        for figure, label in cards
    )


def _section(chart: Chart) -> str:
    div = chart.figure.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=f"chart-{chart.key}",
        config={"displaylogo": False, "responsive": True},
    )
    return (
        f'<section id="{chart.key}"><h2>{html.escape(chart.title)}</h2>'
        f'<p class="read"><b>How to read this:</b> {html.escape(chart.how_to_read)}</p>'
        f"{div}</section>"
    )


def render_html(data: ReportData, as_of: str) -> tuple[str, list[Chart]]:
    charts = all_charts(data) + measure_charts(data)
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<title>omnihub marketing report</title>"
        f"<style>{_STYLE}</style>"
        f"<script type='text/javascript'>{plotly.offline.get_plotlyjs()}</script>"
        f"</head><body data-charts='{len(charts)}'>"
        "<header><h1>Marketing report: customers across channels</h1>"
        f"<p>Email, ads, web shop, stores and support as one journey · data as of "
        f"{html.escape(as_of)} · revenue is net of refunds and returns</p></header>"
        f"<div class='kpis'>{_kpis(data.headline())}</div>"
        f"<main>{''.join(_section(chart) for chart in charts)}</main>"
        "</body></html>"
    )
    return page, charts


def render(warehouse: Warehouse, path: Path | None = None) -> RenderedReport:
    """Read the analytics marts and write the report; the file is replaced whole
    (written beside it, then renamed), so a reader never sees half a report."""
    data = read(warehouse)
    as_of = os.environ.get("OMNIHUB_AS_OF") or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    page, charts = render_html(data, as_of)
    path = path or report_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".html.partial")
    partial.write_text(page, encoding="utf-8")
    partial.replace(path)
    return RenderedReport(path=path, charts=charts, headline=data.headline())
