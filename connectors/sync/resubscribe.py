"""Re-subscription: the one way a suppression is ever lifted, explicit and audited.

Syncs only add to a platform's suppression list (Klaviyo answers a removal with
NOT_RESUBSCRIBED). When a person really wants their email back (they wrote to
support, a suppression was a mistake), an operator runs:

    .venv/bin/python -m connectors.sync.resubscribe --platform klaviyo \\
        --email person@example.com --reason "ticket 4711: asked to be re-added" \\
        --requested-by "ana (support)" [--dry-run]

Before anything is sent, every email is checked against the erasure list: an
address whose person asked to be forgotten (`privacy.erasure_requests`, or any
identifier of a customer in `suppressions.suppress_erased`) is refused, and
then nothing at all is sent: the request is wrong and a person must fix it.

Every action (dry runs and refusals too) is audited twice:
- one row in `omnihub_sync.audit` (sync_name `<platform>__resubscribe`, trigger
  `resubscribe by <who>`, counts, the Klaviyo job ids, the reason);
- one row per email in `omnihub_sync.resubscriptions`: who, when, why, the email
  and its SHA-256, and the outcome — so "who re-subscribed this person and
  why" has an answer. The email is kept because that question is asked about a
  person; an erased person's attempted re-subscription keeps only the hash,
  and an erasure request recorded later blanks the email (warehouse.erasure).

Emails never go to stdout, logs or run metadata: only counts do.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from connectors.errors import ConnectorError
from connectors.sync.hashing import normalize_email
from connectors.sync.state import SCHEMA, SyncState, utcnow
from warehouse import Warehouse, erasure

RESUBSCRIPTIONS = f"{SCHEMA}.resubscriptions"
PLATFORMS = ("klaviyo",)
_DDL = (
    f"create schema if not exists {SCHEMA}",
    f"create table if not exists {RESUBSCRIPTIONS} ("
    " resubscription_id varchar not null, platform varchar not null, email varchar,"
    " email_sha256 varchar not null, requested_by varchar not null, reason varchar not null,"
    " requested_at timestamp not null, dry_run boolean not null, outcome varchar not null,"
    " job_id varchar)",
)
# Every email of a customer on the erasure list, in both forms dbt keeps.
_ERASED_OF = (
    "select distinct lower(trim(r.{column})) from intermediate.int_identity__source_records r "
    "join intermediate.int_identity__assignments a "
    "on a.record_key = r.record_key and a.is_current "
    "join suppressions.suppress_erased e on e.customer_id = a.customer_id "
    "where r.{column} is not null"
)
_ERASED_EMAILS = " union ".join(_ERASED_OF.format(column=c) for c in ("email", "email_normalized"))


class ResubscriptionRefused(ConnectorError):
    """Nothing was sent: an email belongs to an erased person, or erasure cannot be checked."""


@dataclass
class Resubscription:
    """What one action did (counts only: safe to print)."""

    resubscription_id: str
    platform: str
    dry_run: bool
    requested: int
    completed: int = 0
    skipped: int = 0
    """Emails the platform left suppressed (a bounce, not a user suppression) or did not know."""
    failed: int = 0
    api_calls: int = 0
    jobs: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> str:
        verb = "would be lifted" if self.dry_run else "sent"
        text = (
            f"re-subscription {self.resubscription_id} on {self.platform}: "
            f"{self.requested} email(s) {verb}"
        )
        if not self.dry_run:
            text += (
                f"; {self.completed} lifted, {self.skipped} left suppressed by the platform "
                f"(bounced, invalid or unknown), {self.failed} failed"
            )
        return text + f". Audit: {RESUBSCRIPTIONS}."


def ensure(warehouse: Warehouse) -> None:
    with warehouse.transaction() as conn:
        for statement in _DDL:
            conn.execute(sa.text(statement))


def normalized_emails(emails: Iterable[str]) -> list[str]:
    """Trimmed, lowercased, deduplicated, in the order given; ValueError naming
    the position (not the value) of anything that is not an address."""
    out: list[str] = []
    for i, raw in enumerate(emails, 1):
        email = normalize_email(raw)
        if email is None:
            raise ValueError(f"email #{i} is not an email address")
        if email not in out:
            out.append(email)
    if not out:
        raise ValueError("no email given")
    return out


def erased(warehouse: Warehouse, emails: Sequence[str]) -> set[str]:
    """The emails (normalized) whose person asked to be forgotten. Fails closed:
    if the erasure list cannot be read, nobody can be re-subscribed."""
    erasure.ensure(warehouse)
    hashes = {erasure.sha256_hex(e): e for e in emails}
    with warehouse.transaction() as conn:
        requested = {
            row[0]
            for row in conn.execute(
                sa.text(
                    f"select identifier_sha256 from {erasure.TABLE} where identifier_type = 'email'"
                )
            )
        }
    found = {e for h, e in hashes.items() if h in requested}
    try:
        with warehouse.transaction() as conn:
            known = {row[0] for row in conn.execute(sa.text(_ERASED_EMAILS))}
    except sa.exc.DBAPIError as exc:
        raise ResubscriptionRefused(
            "the erasure list (suppressions.suppress_erased and the identity tables) cannot be "
            f"read ({type(exc).__name__}); run `dbt build` first. Nothing was sent."
        ) from exc
    return found | (set(emails) & known)


def _record(
    warehouse: Warehouse,
    resubscription_id: str,
    platform: str,
    rows: Iterable[tuple[str | None, str, str, str | None]],
    requested_by: str,
    reason: str,
    dry_run: bool,
) -> None:
    """rows: (email or None, its sha256, outcome, job id)."""
    now = utcnow()
    with warehouse.transaction() as conn:
        for email, digest, outcome, job_id in rows:
            conn.execute(
                sa.text(
                    f"insert into {RESUBSCRIPTIONS} (resubscription_id, platform, email, "
                    "email_sha256, requested_by, reason, requested_at, dry_run, outcome, job_id) "
                    "values (:i, :p, :e, :h, :by, :why, :at, :d, :o, :j)"
                ),
                {
                    "i": resubscription_id,
                    "p": platform,
                    "e": email,
                    "h": digest,
                    "by": requested_by,
                    "why": reason,
                    "at": now,
                    "d": dry_run,
                    "o": outcome,
                    "j": job_id,
                },
            )


def _counts(result: Resubscription, refused: int, reason: str, elapsed: float) -> dict[str, Any]:
    return {
        "planned_adds": 0,
        "planned_removes": result.requested,
        "planned_updates": 0,
        "confirmed": result.completed,
        "rejected": result.failed + refused,
        "skipped": result.skipped,
        "api_calls": result.api_calls,
        "sample": {"removes_from_suppression": result.requested},
        "details": {
            "reason": reason,
            "refused_erased": refused,
            "jobs": result.jobs,
            "duration_s": round(elapsed, 3),
        },
    }


def _klaviyo(env: Mapping[str, str]) -> Callable[[Sequence[str]], tuple[list[Any], int]]:
    from connectors.klaviyo.resubscribe import make_unsuppressor, unsuppress

    client = make_unsuppressor(env)

    def send(emails: Sequence[str]) -> tuple[list[Any], int]:
        before = client.stats.requests
        jobs = unsuppress(client, emails)
        return jobs, client.stats.requests - before

    return send


def resubscribe(
    warehouse: Warehouse,
    env: Mapping[str, str],
    emails: Iterable[str],
    *,
    reason: str,
    requested_by: str,
    platform: str = "klaviyo",
    dry_run: bool = False,
) -> Resubscription:
    """Lift the platform's suppression of `emails`, after the erasure check,
    with the audit rows written whatever happens. Raises ResubscriptionRefused
    (nothing sent) when any email belongs to an erased person."""
    if platform not in PLATFORMS:
        raise ValueError(f"re-subscription is supported on {', '.join(PLATFORMS)}, not {platform}")
    if not reason.strip() or not requested_by.strip():
        raise ValueError("a re-subscription needs a reason and who requested it")
    wanted = normalized_emails(emails)
    started = time.perf_counter()
    ensure(warehouse)
    state = SyncState(warehouse)
    action_id = uuid.uuid4().hex
    sync_name = f"{platform}__resubscribe"
    state.start(action_id, sync_name, f"resubscribe by {requested_by}", dry_run)
    result = Resubscription(action_id, platform, dry_run, requested=0)
    refused = 0
    error: str | None = None
    try:
        blocked = erased(warehouse, wanted)
        if blocked:
            refused = len(blocked)
            _record(
                warehouse,
                action_id,
                platform,
                # an erased person's email is not written down again, even here
                [(None, erasure.sha256_hex(e), "refused: erased", None) for e in sorted(blocked)],
                requested_by,
                reason,
                dry_run,
            )
            positions = ", ".join(f"#{wanted.index(e) + 1}" for e in wanted if e in blocked)
            raise ResubscriptionRefused(
                f"{refused} of {len(wanted)} email(s) (given as {positions}) belong to people who "
                "asked to be erased; they can never be re-subscribed. Nothing was sent: take "
                "them out of the request and run it again."
            )
        result.requested = len(wanted)
        if dry_run:
            _record(
                warehouse,
                action_id,
                platform,
                [(e, erasure.sha256_hex(e), "dry run: not sent", None) for e in wanted],
                requested_by,
                reason,
                dry_run,
            )
            return result
        send = _klaviyo(env)
        jobs, result.api_calls = send(wanted)
        rows = []
        for job in jobs:
            outcome = "lifted unless bounced or unknown" if job.ok else f"failed: {job.status}"
            result.completed += job.completed if job.ok else 0
            result.skipped += job.skipped if job.ok else 0
            result.failed += 0 if job.ok else len(job.emails)
            result.jobs.append(
                {
                    "job_id": job.job_id,
                    "status": job.status,
                    "emails": len(job.emails),
                    "completed": job.completed,
                    "skipped": job.skipped,
                }
            )
            rows += [(e, erasure.sha256_hex(e), outcome, job.job_id) for e in job.emails]
        _record(warehouse, action_id, platform, rows, requested_by, reason, dry_run)
        return result
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        state.finish(
            action_id, _counts(result, refused, reason, time.perf_counter() - started), error
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m connectors.sync.resubscribe",
        description="Lift a platform's email suppression for people who asked for it; audited, "
        "and refused for anyone who asked to be erased.",
    )
    parser.add_argument("--platform", choices=PLATFORMS, default="klaviyo")
    parser.add_argument("--email", action="append", required=True, help="repeat for more")
    parser.add_argument("--reason", required=True, help="why (a ticket, the person's request)")
    parser.add_argument("--requested-by", required=True, help="who asks (kept in the audit)")
    parser.add_argument("--dry-run", action="store_true", help="check and audit, send nothing")
    args = parser.parse_args(argv)
    try:
        done = resubscribe(
            Warehouse.from_env(),
            os.environ,
            args.email,
            reason=args.reason,
            requested_by=args.requested_by,
            platform=args.platform,
            dry_run=args.dry_run,
        )
    except ValueError as exc:
        parser.error(str(exc))
    except ResubscriptionRefused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    except ConnectorError as exc:
        print(f"failed: {exc}", file=sys.stderr)
        return 1
    print(done.summary())
    return 0 if not done.failed else 1


if __name__ == "__main__":
    sys.exit(main())
