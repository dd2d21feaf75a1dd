"""Milliseconds a call costs against the sandbox emulator, with the clients' own
HTTP stack (connectors.http.HttpClient, one kept-alive session).

    .venv/bin/python benchmarks/emulator_latency.py

Every figure measured against the emulator (ingest rows/s, sync throughput, the
daily job) carries this floor per call, so it is printed on its own: a floor of
tens of milliseconds (a TCP stall, not work) would make those figures measure the
socket instead of omnihub. Reads a page of Klaviyo lists and searches Square
customers, on a 1,000-people world.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _sandbox import build_stream, serve, world_for


def _per_call_ms(call, calls: int) -> list[float]:
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    emulator = serve(world_for(1000, 7))
    try:
        klaviyo = build_stream("klaviyo", "lists", emulator.env).client
        square = build_stream("square", "customers", emulator.env).client
        probes = {
            "klaviyo GET api/lists": lambda: klaviyo.get("api/lists", params={"page[size]": 10}),
            "square POST v2/customers/search": lambda: square.post(
                "v2/customers/search", json={"limit": 1}
            ),
        }
        print(f"{'call':<34} {'calls':>6} {'median ms':>10} {'p95 ms':>8}")
        for label, call in probes.items():
            call()  # open the connection
            times = sorted(_per_call_ms(call, args.calls))
            p95 = times[int(len(times) * 0.95) - 1]
            print(f"{label:<34} {args.calls:>6} {statistics.median(times):>10.2f} {p95:>8.2f}")
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
