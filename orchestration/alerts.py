"""Alerts an operator reads at 3 a.m.: a table in the warehouse, and a short
message to a webhook when one is configured (OMNIHUB_ALERT_WEBHOOK_URL: a Slack
or Teams incoming webhook, or anything that takes `{"text": ...}`).

A message says what failed and what to do, in the words of the error that
stopped it; omnihub's errors never carry credentials (the HTTP layer builds them
from method, path and the vendor's error body), and the message is cut short so
a vendor's long error body does not flood a channel.
"""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import requests
import sqlalchemy as sa

from warehouse import Warehouse

log = logging.getLogger("omnihub.alerts")

TABLE = "ops.alerts"
MAX_MESSAGE = 500
WEBHOOK_ENV = "OMNIHUB_ALERT_WEBHOOK_URL"


@dataclass(frozen=True)
class Alert:
    kind: str
    """run_failure | ingest_failure | sync_refused"""
    subject: str
    """The job, asset or sync it is about."""
    message: str
    run_id: str | None = None


def _ensure(conn: sa.Connection) -> None:
    conn.execute(sa.text("create schema if not exists ops"))
    conn.execute(
        sa.text(
            f"create table if not exists {TABLE} (alert_id varchar primary key,"
            " raised_at timestamp not null, kind varchar not null, subject varchar not null,"
            " message varchar not null, run_id varchar, webhook_status varchar)"
        )
    )


def raise_alert(alert: Alert, warehouse: Warehouse | None = None) -> str:
    """Record the alert and post it; never raises (an alert must not become the failure)."""
    message = alert.message.strip().splitlines()[0] if alert.message.strip() else alert.kind
    message = message[:MAX_MESSAGE]
    status = _post(f"omnihub {alert.kind}: {alert.subject}: {message}")
    alert_id = uuid.uuid4().hex
    try:
        warehouse = warehouse or Warehouse.from_env()
        with warehouse.transaction() as conn:
            _ensure(conn)
            conn.execute(
                sa.text(
                    f"insert into {TABLE} (alert_id, raised_at, kind, subject, message, run_id,"
                    " webhook_status) values (:i, :t, :k, :s, :m, :r, :w)"
                ),
                {
                    "i": alert_id,
                    "t": datetime.now(UTC).replace(tzinfo=None),
                    "k": alert.kind,
                    "s": alert.subject,
                    "m": message,
                    "r": alert.run_id,
                    "w": status,
                },
            )
    except Exception as exc:  # the warehouse itself may be what failed
        log.error("could not record alert %s (%s): %s", alert.subject, type(exc).__name__, message)
    return alert_id


def _post(text: str) -> str:
    url = os.environ.get(WEBHOOK_ENV)
    if not url:
        return "not configured"
    try:
        response = requests.post(url, json={"text": text}, timeout=10)
        return f"HTTP {response.status_code}"
    except requests.RequestException as exc:
        return f"failed: {type(exc).__name__}"
