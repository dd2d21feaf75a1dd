"""Time and peak memory to generate sandbox worlds of several sizes.

Each size runs in its own child process, so one size's memory cannot inflate
another's figure. Usage:

    .venv/bin/python benchmarks/generate_world.py --people 1000 100000 1000000
"""

from __future__ import annotations

import argparse
import json
import resource
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
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rate = r["records"] / r["seconds"] if r["seconds"] else float("inf")
        print(
            f"{r['people']:>10,} {r['records']:>12,} {r['seconds']:>9.2f} {rate:>11,.0f} "
            f"{r['peak_rss_mib']:>13.1f} {r['disk_mib']:>9.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
