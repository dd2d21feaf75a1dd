"""SIGKILL the daily job at random points, rerun, and compare with a run that was never killed.

    .venv/bin/python benchmarks/faults.py --kills 20 --people 300 --seed 7

Two uninterrupted daily runs on one copy of a world give the reference (the
second sees what the first created at the destinations, e.g. the profile ids
Klaviyo assigned, and is the steady state). Then,
round after round on a fresh copy of the same world and a fresh warehouse, the
job is started, SIGKILLed (the whole process group: Dagster, dbt, everything)
at a random moment inside a phase — ingest, dbt or sync, in turn, so the kills
spread across all three — and started again, until the round's kills are spent;
then the job runs to the end twice. Each round's final state is compared with
the reference's:

- the warehouse: the latest version of every raw record, every customer,
  audience and suppression mart row, and the sync state (key, checksum,
  person per sync); exact raw landing under SIGKILL is the ingest tests' job;
- the sandbox: every record (payload included: tags, fields, consent), every
  audience at Meta and Klaviyo with its members and values;
- pushes: the successful write calls the sandbox recorded, against the
  reference's; a write body accepted twice is reported as a re-send, by
  platform and path.

It prints each kill (phase, seconds into the phase) and the verdict per round,
and exits non-zero if any round differs. Pacing is off and the emulator's limits
are lifted so a round takes a minute, not an hour; the crash points are the
same code paths either way.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import queue
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import contextlib

from _sandbox import ROOT, serve, world_for

PHASES = ("ingest", "dbt", "sync")
STEP_START = re.compile(r'Started execution of step "([^"]+)"')


def _phase_of(step: str) -> str | None:
    if step.startswith(("raw__", "privacy__")):
        return "ingest"
    if step.startswith("omnihub_dbt"):
        return "dbt"
    if step.startswith("syncs__"):
        return "sync"
    return None


# -- the job, in a child process we can kill ------------------------------------
def child() -> None:
    """Run the daily job with pacing off; Dagster's console log (DEBUG) names
    each step as it starts, which is how the parent knows the phase."""
    from daily_job import _pacing_off

    from orchestration.summary import run_daily_job

    _pacing_off()
    from dagster import DagsterInstance

    result = run_daily_job(DagsterInstance.ephemeral(), log_level="DEBUG")
    sys.exit(0 if result.success else 1)


def start_job(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, __file__, "--child"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: dbt dies with it
    )


def kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def run_until(env: dict[str, str], phase: str | None, delay: float, log: Path) -> str:
    """Start the job; SIGKILL it `delay` seconds after `phase` begins (None: let it
    finish). Returns what happened: "killed", "finished" or "failed"."""
    proc = start_job(env)
    assert proc.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    deadline: float | None = None
    with log.open("a") as out:
        while True:
            timeout = None if deadline is None else max(deadline - time.monotonic(), 0)
            try:
                line = lines.get(timeout=timeout)
            except queue.Empty:
                kill_group(proc)
                return "killed"
            if line is None:
                proc.wait()
                return "finished" if proc.returncode == 0 else "failed"
            out.write(line)
            match = STEP_START.search(line)
            if match and deadline is None and phase and _phase_of(match.group(1)) == phase:
                deadline = time.monotonic() + delay
            if deadline is not None and time.monotonic() >= deadline:
                kill_group(proc)
                return "killed"


# -- state, made comparable -----------------------------------------------------
def _digest(
    rows: list[tuple[Any, ...]], minted: dict[str, str] | None = None
) -> tuple[int, str, Counter]:
    # when dbt built a row (identity timestamps, merged_at) is wall-clock time,
    # not state: the world's own clock is months earlier
    built = re.compile(rf"{datetime.now(UTC).date()}[ T]\d\d:\d\d:\d\d(\.\d+)?")
    # each run's emulator listens on its own port, and Zendesk puts it in urls
    port = re.compile(r"127\.0\.0\.1:\d+")
    texts = (
        port.sub("<emulator>", built.sub("<built>", json.dumps(r, default=str, sort_keys=True)))
        for r in rows
    )
    if minted:
        pattern = re.compile("|".join(map(re.escape, sorted(minted, key=len, reverse=True))))
        texts = (pattern.sub(lambda m: minted[m.group(0)], t) for t in texts)
    counted = Counter(texts)
    blob = "\n".join(sorted(f"{k}\t{n}" for k, n in counted.items()))
    return len(rows), hashlib.sha256(blob.encode()).hexdigest()[:16], counted


def warehouse_state(path: Path, minted: dict[str, str]) -> dict[str, tuple[int, str, Counter]]:
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('raw', 'customers', 'audiences', 'suppressions', "
            "'omnihub_sync') order by 1, 2"
        ).fetchall()
        state = {}
        for schema, table in tables:
            name = f"{schema}.{table}"
            if schema == "raw" and not table.startswith("_"):
                # what downstream reads: the latest version of each record (raw is
                # a load log: small streams are re-read whole every run, and a
                # record can be seen at a different moment of a rerun)
                sql = (
                    f"select id, updated_at, deleted, payload from {name} "
                    "qualify row_number() over (partition by id "
                    "order by updated_at desc nulls last, _loaded_at desc) = 1"
                )
            elif name == "omnihub_sync.state":
                sql = f"select sync_name, key, checksum, customer_id from {name}"
            elif schema == "omnihub_sync" or table.startswith("_"):
                continue  # audit, pending, rejections, cursors: when, not what
            else:
                sql = f"select * from {name}"
            state[name] = _digest([tuple(r) for r in con.execute(sql).fetchall()], minted)
        return state
    finally:
        con.close()


def minted_ids(world: Path, pristine: Path) -> dict[str, str]:
    """Ids the emulator mints when omnihub creates something (a Square group, a
    Klaviyo list, a Klaviyo profile made by profile-import) -> what names it: a
    rerun may create it at another moment, under another id, and that is no
    difference in state."""
    con = sqlite3.connect(world / "world.sqlite")
    try:
        con.execute("attach database ? as pristine", (str(pristine / "world.sqlite"),))
        rows = con.execute(
            "select r.id, coalesce(json_extract(r.payload, '$.name'), "
            "json_extract(r.payload, '$.attributes.name'), "
            "json_extract(r.payload, '$.attributes.email'), "
            "json_extract(r.payload, '$.attributes.phone_number')) "
            "from records r left join pristine.records p "
            "on p.platform = r.platform and p.stream = r.stream and p.id = r.id "
            "where p.id is null and (r.platform, r.stream) in "
            "(('square', 'customer_groups'), ('klaviyo', 'lists'), ('klaviyo', 'profiles'))"
        ).fetchall()
    finally:
        con.close()
    return {rid: f"<minted {name}>" for rid, name in rows if name and len(rid) >= 8}


def sandbox_state(world: Path, minted: dict[str, str]) -> dict[str, tuple[int, str, Counter]]:
    con = sqlite3.connect(world / "world.sqlite")
    try:
        q = con.execute
        state = {
            "records": _digest(
                q("select platform, stream, id, deleted, payload from records").fetchall(),
                minted,
            ),
            "audiences": _digest(
                q("select platform, name, payload from audiences").fetchall(), minted
            ),
            "audience_members": _digest(
                q(
                    "select a.platform, a.name, m.member_type, m.member_key "
                    "from audience_members m join audiences a "
                    "on a.platform = m.platform and a.id = m.audience_id"
                ).fetchall(),
                minted,
            ),
            "audience_member_values": _digest(
                q(
                    "select a.platform, a.name, v.member_key, v.value "
                    "from audience_member_values v join audiences a "
                    "on a.platform = v.platform and a.id = v.audience_id"
                ).fetchall()
            ),
        }
        writes = q(
            "select platform, method, path, body from writes "
            "where method <> 'GET' and status between 200 and 299 and error is null"
        ).fetchall()
        state["pushes"] = _digest([tuple(w) for w in writes], minted)
        return state
    finally:
        con.close()


def compare(reference: dict, got: dict) -> list[str]:
    problems = []
    for name in sorted(set(reference) | set(got)):
        if name == "pushes":
            continue
        ref, mine = reference.get(name), got.get(name)
        if ref is None or mine is None:
            problems.append(f"{name}: only in {'reference' if mine is None else 'this round'}")
        elif ref[1] != mine[1]:
            extra = list((mine[2] - ref[2]).elements())[:2]
            missing = list((ref[2] - mine[2]).elements())[:2]
            problems.append(f"{name}: {mine[0]} rows vs {ref[0]}; extra {extra}; missing {missing}")
    return problems


def duplicate_pushes(state: dict) -> Counter:
    """Write calls the sandbox accepted more than once with the same body, by
    platform and path (a batch in doubt at a kill, re-sent because the vendor
    cannot be asked whether it landed, shows here)."""
    dup: Counter = Counter()
    for text, n in state["pushes"][2].items():
        if n > 1:
            platform, method, path, _body = json.loads(text)
            dup[f"{platform} {method} {path}"] += n - 1
    return dup


# -- the experiment ---------------------------------------------------------------
def fresh_round(pristine: Path, base: Path) -> tuple[Path, Path, Any, dict[str, str]]:
    if base.exists():
        shutil.rmtree(base)
    world = base / "world"
    shutil.copytree(pristine, world)
    data = base / "data"
    data.mkdir()
    emulator = serve(world)
    env = {
        **os.environ,
        **emulator.env,
        "OMNIHUB_DATA_DIR": str(data),
        "OMNIHUB_DUCKDB_PATH": str(data / "omnihub.duckdb"),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("OMNIHUB_WAREHOUSE_URL", None)
    return world, data / "omnihub.duckdb", emulator, env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--per-round", type=int, default=3, help="kills before a run may finish")
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--random-seed", type=int, default=None)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child()
        return
    rng = random.Random(args.random_seed)
    pristine = world_for(args.people, args.seed)
    work = Path(tempfile.mkdtemp(prefix="omnihub-faults-"))
    log = work / "jobs.log"
    print(f"logs in {log}")

    world, duck, emulator, env = fresh_round(pristine, work / "reference")
    started = time.monotonic()
    # two runs: the second sees what the first created at the destinations (the
    # profile ids Klaviyo assigned, say) and is the steady state to compare with
    outcomes = [run_until(env, None, 0, log) for _ in range(2)]
    emulator.stop()
    if outcomes != ["finished", "finished"]:
        sys.exit(f"the uninterrupted reference runs ended {outcomes}; see {log}")
    phase_s = (time.monotonic() - started) / 2
    minted = minted_ids(world, pristine)
    reference = {**warehouse_state(duck, minted), **sandbox_state(world, minted)}
    print(f"reference: 2 runs of {phase_s:.0f} s; {reference['pushes'][0]} successful writes")

    kills, rounds, failures = 0, 0, 0
    duplicates: Counter = Counter()
    while kills < args.kills:
        rounds += 1
        world, duck, emulator, env = fresh_round(pristine, work / "round")
        points = []
        for i in range(min(args.per_round, args.kills - kills)):
            phase = PHASES[(kills + i) % len(PHASES)]
            # a kill a little way into the phase: within its first seconds is
            # where batches and pages are in flight
            points.append((phase, round(rng.uniform(0.2, 8.0), 2)))
        for phase, delay in points:
            outcome = run_until(env, phase, delay, log)
            if outcome == "killed":
                kills += 1
            print(f"  round {rounds}: kill in {phase} at +{delay}s -> {outcome}", flush=True)
        outcome = run_until(env, None, 0, log)
        if outcome == "finished":
            outcome = run_until(env, None, 0, log)  # the same steady state as the reference
        emulator.stop()
        minted = minted_ids(world, pristine)
        got = {**warehouse_state(duck, minted), **sandbox_state(world, minted)}
        problems = [] if outcome == "finished" else [f"the final rerun {outcome}"]
        problems += compare(reference, got)
        dup = duplicate_pushes(got) - duplicate_pushes(reference)
        duplicates.update(dup)
        if dup:
            print(f"round {rounds}: re-sent with the same body: {dict(dup)}", flush=True)
        failures += bool(problems)
        verdict = "identical to the uninterrupted run" if not problems else "; ".join(problems)
        print(f"round {rounds}: {verdict}", flush=True)
    print(
        f"{kills} SIGKILLs in {rounds} rounds: {rounds - failures} of {rounds} rounds ended "
        f"identical to the uninterrupted run; writes re-sent with the same body: "
        f"{sum(duplicates.values())} {dict(duplicates)}"
    )
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
