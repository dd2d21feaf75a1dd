"""The Dagster UI, used as a person would: open it on the sandbox, find the asset
graph, launch the daily job, wait for it to succeed, open a sync asset and read
its metadata. Screenshots land in data/ui/ (look at them after a change to the UI).

Debian's Chromium driven by Playwright; skipped with the reason where Chromium
is absent. `dagster dev` (webserver + daemon) runs in its own process group.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from orchestration.instance import write_dagster_yaml
from sandbox.launch import demo_environment
from sandbox.server import EmulatorServer
from sandbox.world import generate

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = ROOT / "data" / "ui"
RUN_TIMEOUT_S = 900


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dagster_ui(tmp_path: Path) -> Iterator[str]:
    world = tmp_path / "sandbox" / "world"
    generate(world, people=120, seed=5)
    with EmulatorServer(world) as server:
        env = {**os.environ, **demo_environment(world, server, tmp_path)}
        write_dagster_yaml(Path(env["DAGSTER_HOME"]), env)
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        port = _free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "dagster", "dev", "-w", "workspace.yaml", "-p", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                try:
                    if requests.get(f"{url}/server_info", timeout=2).ok:
                        break
                except requests.RequestException:
                    pass
                time.sleep(1)
            else:
                pytest.fail("dagster dev did not answer within 3 minutes")
            yield url
        finally:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


@pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="/usr/bin/chromium is absent: `apt-get install -y chromium` to run the UI test",
)
def test_launch_the_daily_job_from_the_ui_and_read_a_sync(dagster_ui: str) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
    from playwright.sync_api import expect, sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})

            # Dagster's "Join the Dagster community" dialog opens on its own
            # schedule, sometimes after a page has loaded; whenever it covers what
            # the test is about to click, Playwright dismisses it first
            page.add_locator_handler(
                page.get_by_text("Join the Dagster community", exact=True),
                lambda _: page.get_by_role("button", name="Skip").first.click(),
            )

            def dismiss_welcome() -> None:
                """Close the dialog before a screenshot, which no locator handler covers.

                The dialog may close between the check and the click (the handler above
                may have closed it), so the click has a short timeout of its own.
                """
                skip = page.get_by_role("button", name="Skip")
                if skip.count():
                    with contextlib.suppress(PlaywrightTimeoutError):
                        skip.first.click(timeout=5_000)

            # the asset graph, grouped by layer
            page.goto(f"{dagster_ui}/asset-groups", wait_until="networkidle")
            for group in ("raw_shopify", "staging", "identity", "customers", "audiences", "syncs"):
                expect(page.get_by_text(group, exact=True).first).to_be_visible(timeout=60_000)
            dismiss_welcome()
            page.screenshot(path=str(SHOTS / "1-asset-graph.png"))

            # launch the daily job from its launchpad
            page.goto(f"{dagster_ui}/locations/omnihub/jobs/daily/playground")
            page.get_by_role("button", name="Launch run").click()
            page.wait_for_url("**/runs/**", timeout=60_000)
            run_url = page.url
            dismiss_welcome()
            page.screenshot(path=str(SHOTS / "2-run-started.png"))

            # wait for the run to succeed (the run page says so)
            deadline = time.monotonic() + RUN_TIMEOUT_S
            status = ""
            while time.monotonic() < deadline:
                page.goto(run_url, wait_until="networkidle")
                body = page.inner_text("body")
                if "Success" in body or "Failure" in body:
                    status = "Success" if "Success" in body else "Failure"
                    break
                time.sleep(10)
            dismiss_welcome()
            page.screenshot(path=str(SHOTS / "3-run-finished.png"), full_page=True)
            assert status == "Success", f"the daily run ended with {status or 'a timeout'}"

            # a sync asset's page shows what the sync did
            page.goto(
                f"{dagster_ui}/assets/syncs/zendesk/unhappy_customers", wait_until="networkidle"
            )
            for key in ("planned_adds", "confirmed", "api_calls"):
                expect(page.get_by_text(key).first).to_be_visible(timeout=60_000)
            dismiss_welcome()
            page.screenshot(path=str(SHOTS / "4-sync-metadata.png"), full_page=True)
        finally:
            browser.close()
