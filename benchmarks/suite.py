"""Every benchmark, at 100k and 1M people, into benchmarks/RESULTS.md (`make bench`).

    .venv/bin/python benchmarks/suite.py                 # 100k and 1M (hours)
    .venv/bin/python benchmarks/suite.py --sizes 100000  # 100k only
    .venv/bin/python benchmarks/suite.py --only ingest build

Each benchmark runs as its own process, exactly as its docstring shows it, so
every figure in RESULTS.md can be reproduced by pasting the command above it.
The file records when, on which commit and on what machine (cores, memory,
load before the run) it was measured: a benchmark on a busy machine is a
different figure, and the load tells the reader which one they are looking at.
RESULTS.md is rewritten after every benchmark, so a long run interrupted at
hour three keeps what it measured. A run of some benchmarks (`--only`, or one
size) replaces their sections and keeps the others, each section saying when
and on which commit it was measured, so the suite can be run in parts.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "RESULTS.md"


@dataclass(frozen=True)
class Bench:
    name: str
    what: str
    args: tuple[str, ...]


def plan(sizes: list[int]) -> list[Bench]:
    """The suite, smallest first: a size's world is generated once and cached."""
    benches: list[Bench] = [
        # the floor every figure measured against the emulator carries, per call
        Bench("emulator", "milliseconds a call costs on the sandbox", ("emulator_latency.py",)),
    ]
    for people in sizes:
        n = str(people)
        label = f"{people // 1000}k" if people < 1_000_000 else f"{people // 1_000_000}M"
        # the peers' ratio is measured at 100k; at 1M the question is flat memory
        skip_peers = ("--skip-peers",) if people >= 1_000_000 else ()
        benches += [
            Bench(f"world {label}", "world generation", ("generate_world.py", "--people", n)),
            Bench(
                f"ingest {label}",
                "ingest rows/s and peak RSS per platform; ratio to dlt and to a bare loop",
                ("ingest.py", "--people", n, *skip_peers),
            ),
            Bench(
                f"identity {label}",
                "identity precision / recall / F1, throughput",
                ("identity_quality.py", "--people", n, "--seed", "7", "11", "23")
                if people < 1_000_000
                else ("identity_quality.py", "--people", n, "--seed", "7"),
            ),
            # one section per warehouse: at 1M the PostgreSQL pass takes hours of its own
            Bench(
                f"build {label}",
                "full dbt build on DuckDB; daily run as a ratio of full",
                ("build.py", "--people", n, "--targets", "duckdb"),
            ),
            Bench(
                f"build-pg {label}",
                "full dbt build on PostgreSQL; daily run as a ratio of full",
                ("build.py", "--people", n, "--targets", "postgres"),
            ),
            Bench(
                f"daily job {label}",
                "the whole daily Dagster job: initial load, then the daily run",
                ("daily_job.py", "--people", n),
            ),
        ]
        if people < 1_000_000:
            benches.append(
                Bench(
                    f"normalization {label}",
                    "SQL identifier normalization vs phonenumbers / email-validator",
                    ("normalization_agreement.py", "--people", n),
                )
            )
    benches += [
        # Spark and Celery are measured on the 1k world the scale tests use: on
        # one 2-core machine the question is what the same project costs there,
        # next to DuckDB and PostgreSQL on the same world, not Spark at 1M
        Bench(
            "engines 1k",
            "full dbt build and daily run on DuckDB, PostgreSQL and Spark, one world",
            ("build.py", "--people", "1000", "--targets", "duckdb", "postgres", "spark"),
        ),
        Bench(
            "celery 1k",
            "the daily job on 1 and on 2 Celery workers, one world",
            ("celery_workers.py", "--people", "1000"),
        ),
    ]
    benches.append(
        Bench(
            "sync",
            "diff of a 1M audience against a 1M state; Meta throughput / rate limit",
            ("sync.py", "--members", "1000000"),
        )
    )
    return benches


def machine() -> str:
    cores = os.cpu_count()
    mem = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kb = int(meminfo.read_text().split("MemTotal:")[1].split()[0])
        mem = f", {kb / 1024 / 1024:.0f} GiB"
    return f"{platform.machine()}, {cores} cores{mem}, Python {platform.python_version()}"


def commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    # RESULTS.md itself is rewritten by the suite: not a change to the code measured
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", ".", ":!benchmarks/RESULTS.md"],
        cwd=ROOT,
        capture_output=True,
    )
    return (done.stdout.strip() or "unknown") + (" (uncommitted changes)" if dirty.stdout else "")


def earlier_sections() -> dict[str, str]:
    """The sections RESULTS.md holds now, by benchmark name ("## <name>: ...")."""
    if not RESULTS.exists():
        return {}
    sections: dict[str, str] = {}
    for block in RESULTS.read_text().split("\n## ")[1:]:
        name = block.split(":", 1)[0]
        sections[name] = "## " + block.rstrip("\n") + "\n"
    return sections


def write(sections: dict[str, str], order: list[str]) -> None:
    header = [
        "# Benchmark results",
        "",
        f"Machine: {machine()}.",
        "Written by `make bench` (`benchmarks/suite.py`); each section shows the command"
        " that printed it, when and on which commit it ran, the machine's load average"
        " before it started, and its output.",
        "",
    ]
    ordered = [sections[name] for name in order if name in sections]
    ordered += [text for name, text in sections.items() if name not in order]
    RESULTS.write_text("\n".join(header + ordered))


# dbt's own progress lines, which the daily job's dbt step streams to stdout:
# shown on the console as they come, kept out of RESULTS.md (its summary line,
# "Finished running ... in ...", stays)
DBT_NODE_LINE = re.compile(r"^\s*\d+ of \d+ (START|OK|PASS|FAIL|WARN|ERROR|SKIP|NO-OP)\b")
# likewise Dagster's own DEBUG event lines (a run on the Celery executor logs each step)
DAGSTER_DEBUG_LINE = re.compile(r" - dagster - DEBUG - ")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run(bench: Bench) -> str:
    command = [sys.executable, str(ROOT / "benchmarks" / bench.args[0]), *bench.args[1:]]
    shown = " ".join([".venv/bin/python", f"benchmarks/{bench.args[0]}", *bench.args[1:]])
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    # the code measured is the code at the start: a commit made while a long
    # benchmark runs must not be credited with its figure
    measured_on, started_at = commit(), datetime.now(UTC)
    print(f"\n== {bench.name}: {shown}", flush=True)
    started = time.perf_counter()
    proc = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        print(line, end="", flush=True)
        plain = ANSI.sub("", line.rstrip("\n"))
        if (
            plain.strip()
            and not DBT_NODE_LINE.match(plain)
            and not DAGSTER_DEBUG_LINE.search(plain)
        ):
            lines.append(plain)
    status = proc.wait()
    wall = time.perf_counter() - started
    verdict = "" if status == 0 else f" — **exited with status {status}**"
    return "\n".join(
        [
            f"## {bench.name}: {bench.what}",
            "",
            f"`{shown}` — started {started_at:%Y-%m-%d %H:%M} UTC on {measured_on},"
            f" {wall:,.0f} s wall, load average {load:.2f} before{verdict}",
            "",
            "```",
            *lines[-80:],
            "```",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument(
        "--only", nargs="+", help="benchmark kinds to run (world, ingest, identity, ...)"
    )
    args = parser.parse_args()
    sections = earlier_sections()
    # the order of a full run at both sizes, whatever part of it runs now
    order = [bench.name for bench in plan([100_000, 1_000_000])]
    for bench in plan(sorted(args.sizes)):
        if args.only and bench.name.split(" ")[0] not in args.only:
            continue
        sections[bench.name] = run(bench)
        write(sections, order)
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
