"""Lifting Klaviyo email suppressions: the explicit half of re-subscription.

A sync never un-suppresses anyone (`destination.NOT_RESUBSCRIBED`): taking a
person off the suppression list is a decision a person makes, for a reason,
and it goes through `connectors.sync.resubscribe`, which checks erasure and
writes the audit. This module only speaks Klaviyo.

Reference (openapi/stable.json of github.com/klaviyo/openapi, operationId
`bulk_unsuppress_profiles`): `POST /api/profile-suppression-bulk-delete-jobs`
with `{"data": {"type": "profile-suppression-bulk-delete-job", "attributes":
{"profiles": {"data": [{"type": "profile", "attributes": {"email": ...}}]}}}}`,
at most 100 emails a request, answered 202 with the job (`status`,
`total_count`, `completed_count`, `skipped_count`), polled at
`GET /api/profile-suppression-bulk-delete-jobs/{job_id}` until `complete` or
`cancelled`. Klaviyo lifts only USER_SUPPRESSED suppressions: hard bounces,
invalid addresses and unsubscribed profiles stay as they are (skipped), and
unknown emails are skipped too. Scope `subscriptions:write`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from connectors.errors import ClientError
from connectors.http import HttpClient, json_of
from connectors.klaviyo.client import KlaviyoSettings, make_client
from connectors.klaviyo.destination import JSONAPI, klaviyo_error

EMAILS_PER_JOB = 100
JOBS_PATH = "api/profile-suppression-bulk-delete-jobs"
JOB_TYPE = "profile-suppression-bulk-delete-job"


@dataclass(frozen=True)
class UnsuppressJob:
    """One bulk-delete job: the emails it carried and what Klaviyo said."""

    emails: tuple[str, ...]
    job_id: str | None
    status: str
    """complete, cancelled, or `refused: <Klaviyo's error>` (no job was created)."""
    completed: int = 0
    skipped: int = 0

    @property
    def ok(self) -> bool:
        return self.status == "complete"


def job_body(emails: Sequence[str]) -> dict:
    """The JSON:API request for one job (at most EMAILS_PER_JOB emails)."""
    if not 0 < len(emails) <= EMAILS_PER_JOB:
        raise ValueError(f"a job carries 1 to {EMAILS_PER_JOB} emails, not {len(emails)}")
    return {
        "data": {
            "type": JOB_TYPE,
            "attributes": {
                "profiles": {
                    "data": [{"type": "profile", "attributes": {"email": e}} for e in emails]
                }
            },
        }
    }


def _attributes(body: dict) -> dict:
    return body["data"]["attributes"]


def unsuppress(client: HttpClient, emails: Sequence[str]) -> list[UnsuppressJob]:
    """One job per 100 emails, each waited for. A job Klaviyo refuses (4xx) is
    reported, not raised, so the audit records exactly which emails were not
    lifted; transport failures (5xx after retries) raise."""
    jobs: list[UnsuppressJob] = []
    for start in range(0, len(emails), EMAILS_PER_JOB):
        chunk = tuple(emails[start : start + EMAILS_PER_JOB])
        try:
            response = client.request(
                "POST", JOBS_PATH, json=job_body(chunk), headers={"Content-Type": JSONAPI}
            )
        except ClientError as exc:
            jobs.append(UnsuppressJob(chunk, None, f"refused: {klaviyo_error(exc)}"))
            continue
        created = json_of(response)
        job_id = str(created["data"]["id"])
        final = _attributes(created)
        if final["status"] not in ("complete", "cancelled"):

            def finished(job_id: str = job_id) -> dict | None:
                current = _attributes(json_of(client.request("GET", f"{JOBS_PATH}/{job_id}")))
                return current if current["status"] in ("complete", "cancelled") else None

            final = client.poll(finished, what=f"unsuppression job {job_id}")
        jobs.append(
            UnsuppressJob(
                chunk,
                job_id,
                str(final["status"]),
                int(final.get("completed_count") or 0),
                int(final.get("skipped_count") or 0),
            )
        )
    return jobs


def make_unsuppressor(env: Mapping[str, str]) -> HttpClient:
    """The Klaviyo client from the same variables the syncs use (KLAVIYO_API_KEY,
    KLAVIYO_BASE_URL); raises NotConfigured naming them when absent."""
    return make_client(KlaviyoSettings.from_env(env))
