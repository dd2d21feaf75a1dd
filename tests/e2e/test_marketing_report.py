"""The marketing report from a real daily run on the sandbox world, opened in
headless Chromium: every chart drew its data, nothing was fetched, no console
error. A full-page screenshot is kept under data/reports/ for a person to look at."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import AssetKey, ExecuteInProcessResult

from tests.e2e.conftest import SessionRun
from warehouse import data_dir

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
# Debian's Chromium, never a browser downloaded by `playwright install`.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT = Path(__file__).resolve().parents[2] / "data" / "reports" / "marketing_report.png"
REPORT = AssetKey(["reports", "marketing_report"])


def _report_metadata(result: ExecuteInProcessResult) -> dict:
    (materialization,) = [
        m for m in result.asset_materializations_for_node("reports__marketing_report")
    ]
    assert materialization.asset_key == REPORT
    return {key: getattr(value, "value", value) for key, value in materialization.metadata.items()}


@pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="/usr/bin/chromium is absent: `apt-get install -y chromium` to run the browser test",
)
def test_the_report_draws_every_chart_in_a_browser(
    session_daily_run: SessionRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report the session's first daily run wrote (orchestration.summary's
    run_daily_job, as `make demo` runs it; "now" is the world's, as in the demo)."""
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("OMNIHUB_DATA_DIR", str(session_daily_run.data_dir))
    metadata = _report_metadata(session_daily_run.result)
    path = Path(metadata["path"])
    assert path == data_dir() / "reports" / "marketing_report.html" and path.exists()
    assert 0 < metadata["cross_channel_rate_last_month"] < 1
    assert metadata["omnichannel_vs_single_channel_ltv"] > 1
    assert 0 < metadata["repeat_purchase_rate"] < 1

    errors: list[str] = []
    fetched: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))

            def offline(route) -> None:  # the report must need nothing but itself
                if route.request.url.startswith("file://"):
                    route.continue_()
                else:
                    fetched.append(route.request.url)
                    route.abort()

            page.route("**/*", offline)
            page.goto(path.as_uri())
            charts = int(page.get_attribute("body", "data-charts") or 0)
            page.wait_for_function(
                "n => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n",
                arg=charts,
            )
            drawn = page.eval_on_selector_all(
                ".js-plotly-plot",
                """plots => plots.map(p => ({
                    id: p.id,
                    svgs: p.querySelectorAll('.main-svg').length,
                    traces: p.querySelectorAll('.trace, .sankey').length,
                    marks: p.querySelectorAll(
                        '.trace .point, .trace path.js-line, .sankey .sankey-link'
                    ).length,
                    height: p.getBoundingClientRect().height,
                }))""",
            )
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            browser.close()

    # the 7 original charts and the 6 of issue 10 (measures.py)
    assert charts == 13 and len(drawn) == charts, drawn
    assert {p["id"] for p in drawn} >= {
        f"chart-{key}"
        for key in (
            "influence",
            "stage_revenue",
            "stage_flows",
            "lead_quality",
            "support_times",
            "support_topics",
        )
    }, drawn
    for plot in drawn:
        assert plot["svgs"] >= 1 and plot["traces"] >= 1 and plot["marks"] >= 1, plot
        assert plot["height"] > 300, plot
    assert fetched == [] and errors == []
