"""`python -m sandbox generate|advance|serve|demo|ui`: the sandbox from a shell."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from warehouse import data_dir


def _default_world() -> Path:
    return data_dir() / "sandbox" / "world"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write a fresh deterministic world")
    gen.add_argument("--people", type=int, default=1000)
    gen.add_argument("--seed", type=int, default=7)
    gen.add_argument("--days", type=int, default=180)
    gen.add_argument("--out", type=Path, default=_default_world())

    adv = sub.add_parser("advance", help="move the world's clock forward")
    adv.add_argument("--world", type=Path, default=_default_world())
    adv.add_argument("--days", type=int, default=1)

    serve = sub.add_parser("serve", help="serve the world as the five vendor APIs")
    serve.add_argument("--world", type=Path, default=_default_world())
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0)

    for name, text in (("demo", "the main job end to end on the sandbox"), ("ui", "Dagster UI")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("--people", type=int, default=1000)
        cmd.add_argument("--seed", type=int, default=7)

    args = parser.parse_args(argv)
    if args.command == "generate":
        from sandbox.world import generate

        info = generate(args.out, people=args.people, seed=args.seed, days=args.days)
        print(
            f"world of {info.people:,} people (seed {info.seed}) in {args.out}: "
            f"{info.total_records:,} records in {info.elapsed_s:.1f}s"
        )
        for (platform, stream), count in sorted(info.counts.items()):
            print(f"  {platform}/{stream}: {count:,}")
        return 0
    if args.command == "advance":
        from sandbox.world import advance

        result = advance(args.world, days=args.days)
        print(
            f"now {result.now} (day {result.day}): {result.new_people} new people, "
            f"{result.created} records created, {result.updated} updated, {result.deleted} deleted"
        )
        return 0
    if args.command == "serve":
        from sandbox.server import serve_forever

        serve_forever(args.world, args.host, args.port)
        return 0
    from sandbox.launch import run_demo, run_ui

    runner = run_demo if args.command == "demo" else run_ui
    return runner(args.people, args.seed)


if __name__ == "__main__":
    sys.exit(main())
