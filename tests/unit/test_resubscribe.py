"""Re-subscription on Klaviyo (HTTP mocked with responses, real DuckDB): the
request as Klaviyo's spec has it, 100 emails a job, erased people refused
before anything is sent, and an audit row for every action."""

from __future__ import annotations

import json

import pytest
import responses
import sqlalchemy as sa

from connectors.sync import resubscribe as rs
from warehouse import Warehouse, erasure

API = "https://a.klaviyo.com/api"
JOBS = f"{API}/profile-suppression-bulk-delete-jobs"
ENV = {"KLAVIYO_API_KEY": "pk_test"}


def _identity(wh: Warehouse, erased_customers: dict[str, str] | None = None) -> None:
    """The relations the erasure check reads: customers with one email each,
    `erased_customers` (customer -> email) on suppress_erased."""
    with wh.transaction() as conn:
        for schema in ("intermediate", "suppressions"):
            conn.execute(sa.text(f"create schema if not exists {schema}"))
        conn.execute(
            sa.text(
                "create or replace table intermediate.int_identity__source_records "
                "(record_key varchar, email varchar, email_normalized varchar)"
            )
        )
        conn.execute(
            sa.text(
                "create or replace table intermediate.int_identity__assignments "
                "(record_key varchar, customer_id varchar, is_current boolean)"
            )
        )
        conn.execute(
            sa.text("create or replace table suppressions.suppress_erased (customer_id varchar)")
        )
        for customer, email in (erased_customers or {}).items():
            conn.execute(
                sa.text(
                    "insert into intermediate.int_identity__source_records values (:r, :e, :n)"
                ),
                {"r": f"rec-{customer}", "e": email, "n": email.lower()},
            )
            conn.execute(
                sa.text("insert into intermediate.int_identity__assignments values (:r, :c, true)"),
                {"r": f"rec-{customer}", "c": customer},
            )
            conn.execute(
                sa.text("insert into suppressions.suppress_erased values (:c)"), {"c": customer}
            )


def _job(status: str = "complete", total: int = 1, skipped: int = 0) -> dict:
    return {
        "data": {
            "type": "profile-suppression-bulk-delete-job",
            "id": f"job-{len(responses.calls)}",
            "attributes": {
                "status": status,
                "created_at": "2026-01-01T00:00:00+00:00",
                "total_count": total,
                "completed_count": total - skipped if status == "complete" else 0,
                "skipped_count": skipped,
            },
        }
    }


def _rows(wh: Warehouse, sql: str) -> list[tuple]:
    with wh.transaction() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql))]


def _audit(wh: Warehouse) -> list[tuple]:
    return _rows(
        wh,
        "select sync_name, trigger, dry_run, planned_removes, confirmed, rejected, skipped, "
        "api_calls, details, error, finished_at is not null from omnihub_sync.audit",
    )


@responses.activate
def test_request_shape_batches_of_100_and_audit(duckdb_warehouse: Warehouse) -> None:
    _identity(duckdb_warehouse)
    responses.post(JOBS, status=202, json=_job(total=100, skipped=1))
    emails = [f"Person{i}@Example.com " for i in range(250)]

    done = rs.resubscribe(duckdb_warehouse, ENV, emails, reason="ticket 4711", requested_by="ana")

    posts = [c for c in responses.calls if c.request.method == "POST"]
    assert [
        len(json.loads(c.request.body)["data"]["attributes"]["profiles"]["data"]) for c in posts
    ] == [100, 100, 50]
    first = json.loads(posts[0].request.body)
    assert first["data"]["type"] == "profile-suppression-bulk-delete-job"
    assert first["data"]["attributes"]["profiles"]["data"][0] == {
        "type": "profile",
        "attributes": {"email": "person0@example.com"},
    }
    assert set(first["data"]) == {"type", "attributes"}  # no list/segment relationship
    headers = posts[0].request.headers
    assert headers["revision"] and headers["Content-Type"] == "application/vnd.api+json"
    assert headers["Authorization"] == "Klaviyo-API-Key pk_test"
    assert done.requested == 250 and done.completed == 297 and done.skipped == 3

    [audit] = _audit(duckdb_warehouse)
    name, trigger, dry_run, removes, confirmed, rejected, skipped, calls, details, error, ended = (
        audit
    )
    assert (name, trigger, dry_run, removes, calls, error, ended) == (
        "klaviyo__resubscribe",
        "resubscribe by ana",
        False,
        250,
        3,
        None,
        True,
    )
    assert (confirmed, rejected, skipped) == (297, 0, 3)
    assert json.loads(details)["reason"] == "ticket 4711"
    per_email = _rows(
        duckdb_warehouse,
        f"select email, email_sha256, requested_by, reason, job_id from {rs.RESUBSCRIPTIONS}",
    )
    assert len(per_email) == 250
    assert (
        "person7@example.com",
        erasure.sha256_hex("person7@example.com"),
        "ana",
        "ticket 4711",
    ) == per_email[7][:4]
    assert all(row[4] for row in per_email)


@responses.activate
def test_a_queued_job_is_polled_until_complete(duckdb_warehouse: Warehouse, monkeypatch) -> None:
    _identity(duckdb_warehouse)
    monkeypatch.setattr("connectors.http.HttpClient._nap", lambda self, s: None)
    responses.post(JOBS, status=202, json=_job(status="queued"))
    responses.get(f"{JOBS}/job-0", json=_job(status="processing"))
    responses.get(f"{JOBS}/job-0", json=_job(status="complete"))
    done = rs.resubscribe(duckdb_warehouse, ENV, ["a@b.com"], reason="r", requested_by="me")
    assert done.completed == 1 and done.api_calls == 3
    assert [c.request.method for c in responses.calls] == ["POST", "GET", "GET"]


@responses.activate
def test_a_refused_job_is_recorded_as_failed(duckdb_warehouse: Warehouse) -> None:
    _identity(duckdb_warehouse)
    error = {"errors": [{"status": 400, "code": "invalid", "detail": "bad email"}]}
    responses.post(JOBS, status=400, json=error)
    done = rs.resubscribe(duckdb_warehouse, ENV, ["a@b.com"], reason="r", requested_by="me")
    assert done.failed == 1 and done.completed == 0
    [(outcome,)] = _rows(duckdb_warehouse, f"select outcome from {rs.RESUBSCRIPTIONS}")
    assert outcome == "failed: refused: invalid: bad email"


@pytest.mark.parametrize("how", ["erasure request", "suppress_erased"])
@responses.activate
def test_erased_people_are_refused_and_nothing_is_sent(
    duckdb_warehouse: Warehouse, how: str
) -> None:
    if how == "erasure request":
        _identity(duckdb_warehouse)
        erasure.request(duckdb_warehouse, "email", "Gone@Example.com")
    else:  # erased by phone: their email is known only through identity
        _identity(duckdb_warehouse, {"cus_gone": "Gone@Example.com"})
    with pytest.raises(rs.ResubscriptionRefused, match=r"1 of 2 email\(s\) \(given as #2\)"):
        rs.resubscribe(
            duckdb_warehouse,
            ENV,
            ["ok@example.com", "gone@example.com"],
            reason="r",
            requested_by="me",
        )
    assert not responses.calls
    rows = _rows(duckdb_warehouse, f"select email, email_sha256, outcome from {rs.RESUBSCRIPTIONS}")
    assert rows == [(None, erasure.sha256_hex("gone@example.com"), "refused: erased")]
    [audit] = _audit(duckdb_warehouse)
    assert audit[5] == 1 and audit[9].startswith("ResubscriptionRefused")


def test_erasure_that_cannot_be_checked_refuses(duckdb_warehouse: Warehouse) -> None:
    # no dbt build yet: suppress_erased does not exist, so nobody passes
    with pytest.raises(rs.ResubscriptionRefused, match="dbt build"):
        rs.resubscribe(duckdb_warehouse, ENV, ["a@b.com"], reason="r", requested_by="me")


@responses.activate
def test_dry_run_sends_nothing_and_is_audited(duckdb_warehouse: Warehouse) -> None:
    _identity(duckdb_warehouse)
    done = rs.resubscribe(
        duckdb_warehouse, ENV, ["a@b.com", "A@b.com"], reason="r", requested_by="me", dry_run=True
    )
    assert not responses.calls and done.requested == 1
    [audit] = _audit(duckdb_warehouse)
    assert audit[2] is True and audit[3] == 1 and audit[7] == 0


def test_cli_prints_counts_never_emails(duckdb_warehouse: Warehouse, monkeypatch, capsys) -> None:
    _identity(duckdb_warehouse)
    monkeypatch.setattr(rs.Warehouse, "from_env", classmethod(lambda cls: duckdb_warehouse))
    argv = ["--email", "secret.person@example.com", "--reason", "why", "--requested-by", "me"]
    assert rs.main([*argv, "--dry-run"]) == 0
    out = capsys.readouterr()
    assert "1 email(s) would be lifted" in out.out
    assert "secret.person" not in out.out + out.err
    erasure.request(duckdb_warehouse, "email", "secret.person@example.com")
    assert rs.main(argv) == 2
    out = capsys.readouterr()
    assert "asked to be erased" in out.err and "secret.person" not in out.out + out.err
    with pytest.raises(SystemExit):
        rs.main(["--email", "not-an-email", "--reason", "r", "--requested-by", "me"])


@responses.activate
def test_a_later_erasure_leaves_only_the_hash(duckdb_warehouse: Warehouse) -> None:
    _identity(duckdb_warehouse)
    responses.post(JOBS, status=202, json=_job(total=2))
    rs.resubscribe(duckdb_warehouse, ENV, ["a@b.com", "c@d.com"], reason="r", requested_by="me")
    erasure.request(duckdb_warehouse, "email", " A@B.com")
    rows = _rows(duckdb_warehouse, f"select email, email_sha256 from {rs.RESUBSCRIPTIONS}")
    assert sorted(rows, key=str) == sorted(
        [(None, erasure.sha256_hex("a@b.com")), ("c@d.com", erasure.sha256_hex("c@d.com"))],
        key=str,
    )
