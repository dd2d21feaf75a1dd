"""Ingest throughput and memory, per platform, and against two peers on one stream.

    .venv/bin/python benchmarks/ingest.py --people 100000
    .venv/bin/python benchmarks/ingest.py --people 1000000 --platforms klaviyo

The emulator runs in its own process with its rate limits lifted, and our
clients' proactive pacing is switched off for these runs, so the figures
measure the pipeline (HTTP, parsing, validation, landing in DuckDB) rather
than a vendor's published limit. Each platform runs in a fresh child process
so its peak RSS is its own. The peer comparison uses the largest stream
(Klaviyo events): our connector landing into DuckDB, a bare `requests` loop
that only pages through the same endpoint, and dlt's generic REST API source
loading into DuckDB (optional: `pip install -e '.[bench]'`).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _sandbox import PLATFORM_STREAMS, build_stream, serve, world_for


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_platform(platform: str, db: Path) -> dict:
    from connectors.ingest import run_stream
    from warehouse import Landing, Warehouse

    landing = Landing(Warehouse.duckdb(db))
    rows, started = 0, time.perf_counter()
    for name in PLATFORM_STREAMS[platform]:
        rows += run_stream(build_stream(platform, name, os.environ), landing).rows_landed
    return {"rows": rows, "seconds": time.perf_counter() - started, "rss": _peak_rss_mib()}


def child_bare(env: dict[str, str]) -> dict:
    import requests

    session = requests.Session()
    session.headers.update(
        {"Authorization": f"Klaviyo-API-Key {env['KLAVIYO_API_KEY']}", "revision": "2026-01-15"}
    )
    url: str | None = f"{env['KLAVIYO_BASE_URL']}/api/events"
    params: dict | None = {"page[size]": "1000", "sort": "datetime"}
    rows, started = 0, time.perf_counter()
    while url:
        body = session.get(url, params=params, timeout=60).json()
        rows += len(body["data"])
        url, params = body["links"].get("next"), None
    return {"rows": rows, "seconds": time.perf_counter() - started, "rss": _peak_rss_mib()}


def child_ours_events(db: Path) -> dict:
    from connectors.ingest import run_stream
    from warehouse import Landing, Warehouse

    started = time.perf_counter()
    result = run_stream(
        build_stream("klaviyo", "events", os.environ), Landing(Warehouse.duckdb(db))
    )
    return {
        "rows": result.rows_landed,
        "seconds": time.perf_counter() - started,
        "rss": _peak_rss_mib(),
    }


def child_dlt(env: dict[str, str], workdir: Path) -> dict:
    try:
        import dlt
        from dlt.sources.rest_api import rest_api_source
    except ImportError:
        return {"skipped": "dlt is not installed: .venv/bin/pip install -e '.[bench]'"}
    source = rest_api_source(
        {
            "client": {
                "base_url": f"{env['KLAVIYO_BASE_URL']}/",
                "headers": {
                    "Authorization": f"Klaviyo-API-Key {env['KLAVIYO_API_KEY']}",
                    "revision": "2026-01-15",
                },
                "paginator": {"type": "json_link", "next_url_path": "links.next"},
            },
            "resources": [
                {
                    "name": "events",
                    "endpoint": {
                        "path": "api/events",
                        "params": {"page[size]": 1000, "sort": "datetime"},
                        "data_selector": "data",
                    },
                }
            ],
        }
    )
    pipeline = dlt.pipeline(
        pipeline_name="bench_events",
        destination=dlt.destinations.duckdb(str(workdir / "dlt.duckdb")),
        dataset_name="raw",
        pipelines_dir=str(workdir / "dlt_pipelines"),
    )
    started = time.perf_counter()
    info = pipeline.run(source)
    seconds = time.perf_counter() - started
    rows = pipeline.last_trace.last_normalize_info.row_counts.get("events", 0)
    del info
    return {"rows": rows, "seconds": seconds, "rss": _peak_rss_mib()}


def _run_child(args: list[str], env: dict[str, str]) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        env={**os.environ, **env},
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--platforms", nargs="+", default=list(PLATFORM_STREAMS))
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        kind, *rest = args.child
        env = dict(os.environ)
        if kind == "platform":
            result = child_platform(rest[0], Path(rest[1]))
        elif kind == "bare":
            result = child_bare(env)
        elif kind == "ours":
            result = child_ours_events(Path(rest[0]))
        else:
            result = child_dlt(env, Path(rest[0]))
        print(json.dumps(result))
        return

    emulator = serve(world_for(args.people, args.seed))
    env = emulator.env
    try:
        with tempfile.TemporaryDirectory() as tmp:
            print(f"ingest of {args.people:,} people (pacing off, emulator limits lifted)")
            print(
                f"{'platform':<10} {'rows':>12} {'seconds':>9} {'rows/s':>10} {'peak RSS MiB':>13}"
            )
            for platform in args.platforms:
                r = _run_child(["platform", platform, str(Path(tmp) / f"{platform}.duckdb")], env)
                print(
                    f"{platform:<10} {r['rows']:>12,} {r['seconds']:>9.1f} "
                    f"{r['rows'] / r['seconds']:>10,.0f} {r['rss']:>13.1f}",
                    flush=True,
                )
            if args.skip_peers:
                return
            # The bare loop runs before and after ours and counts as their mean, so
            # a load change on the machine during the run does not favour either.
            bare_before = _run_child(["bare"], env)
            ours = _run_child(["ours", str(Path(tmp) / "ours.duckdb")], env)
            bare_after = _run_child(["bare"], env)
            bare = {
                **bare_after,
                "seconds": (bare_before["seconds"] + bare_after["seconds"]) / 2,
            }
            peer = _run_child(["dlt", tmp], env)
            print("\nklaviyo/events, same endpoint, same page size (1000):")
            for label, r in (
                ("omnihub", ours),
                ("bare requests loop", bare),
                ("dlt rest_api", peer),
            ):
                if "skipped" in r:
                    print(f"  {label:<20} skipped: {r['skipped']}")
                    continue
                print(
                    f"  {label:<20} {r['rows']:>10,} rows {r['seconds']:>8.1f} s "
                    f"{r['rows'] / r['seconds']:>10,.0f} rows/s  peak RSS {r['rss']:.0f} MiB"
                )
            slower = ours["seconds"] / bare["seconds"]
            print(f"  omnihub time / bare loop time: {slower:.2f} (target <= 1.2)")
            if "skipped" not in peer:
                ratio = (ours["rows"] / ours["seconds"]) / (peer["rows"] / peer["seconds"])
                print(f"  omnihub rows/s / dlt rows/s:   {ratio:.2f} (target >= 1.0)")
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
