"""Time and peak memory to generate sandbox worlds of several sizes.

Each size runs in its own child process, so one size's memory cannot inflate
another's figure. A world generated here is kept as the benchmarks' cached
world for its size and seed (data/bench/, see `_sandbox.world_for`) when that
is not there yet, so `make bench` generates each world once, not twice.
Usage:

    .venv/bin/python benchmarks/generate_world.py --people 1000 100000 1000000
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _child(people: int, seed: int, out: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from sandbox.world import generate

    started = time.perf_counter()
    info = generate(out, people=people, seed=seed)
    elapsed = time.perf_counter() - started
    size = sum(f.stat().st_size for f in out.glob("*.sqlite*"))
    print(
        json.dumps(
            {
                "people": people,
                "records": info.total_records,
                "seconds": round(elapsed, 2),
                "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "disk_mib": round(size / 2**20, 1),
            }
        )
    )


def _keep_as_cache(world: Path, people: int, seed: int) -> None:
    """Move the timed world into the benchmarks' cache if it has none for this size."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from _sandbox import world_path

    cached = world_path(people, seed)
    if not (cached / "world.sqlite").exists():
        shutil.rmtree(cached, ignore_errors=True)
        cached.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(world, cached)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.people[0], args.seed, args.out)
        return

    print(
        f"{'people':>10} {'records':>12} {'seconds':>9} {'records/s':>11} "
        f"{'peak RSS MiB':>13} {'disk MiB':>9}"
    )
    for people in args.people:
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    "--people",
                    str(people),
                    "--seed",
                    str(args.seed),
                    "--out",
                    str(Path(tmp) / "world"),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            _keep_as_cache(Path(tmp) / "world", people, args.seed)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rate = r["records"] / r["seconds"] if r["seconds"] else float("inf")
        print(
            f"{r['people']:>10,} {r['records']:>12,} {r['seconds']:>9.2f} {rate:>11,.0f} "
            f"{r['peak_rss_mib']:>13.1f} {r['disk_mib']:>9.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
