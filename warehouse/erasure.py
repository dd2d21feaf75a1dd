"""Erasure requests: people who asked to be forgotten.

An operator records a request here (or with the CLI below); the dbt model
`suppress_erased` matches it against every customer, and every audience and
every sync leaves that person out, everywhere, from then on (the sync engine
also removes them where they were synced before). Shopify's `customers/redact`
webhooks are requests too; dbt reads those from the raw Shopify customers.

Only SHA-256 of the normalized identifier is stored, never the identifier:
the list that keeps a person out must not itself keep their email.

    .venv/bin/python -m warehouse.erasure --email person@example.com
    .venv/bin/python -m warehouse.erasure --phone "+1 415 555 0100" --note "ticket 1234"
    .venv/bin/python -m warehouse.erasure --customer-id cus_0123456789abcdef0123
"""

from __future__ import annotations

import argparse
import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import phonenumbers
import sqlalchemy as sa

from warehouse.connection import Warehouse
from warehouse.phone_numbers import settings as phone_settings

SCHEMA = "privacy"
TABLE = f"{SCHEMA}.erasure_requests"
IDENTIFIER_TYPES = ("email", "phone", "customer_id")


def ensure(warehouse: Warehouse) -> None:
    """Create the request table if it is not there (dbt reads it as a source)."""
    with warehouse.transaction() as conn:
        conn.execute(sa.text(f"create schema if not exists {SCHEMA}"))
        conn.execute(
            sa.text(
                f"create table if not exists {TABLE} ("
                " request_id varchar primary key, identifier_type varchar not null,"
                " identifier_sha256 varchar not null, requested_at timestamp not null,"
                " source varchar not null, note varchar)"
            )
        )


def normalized(identifier_type: str, value: str, default_country: str | None = None) -> str:
    """The form dbt hashes on its side: emails trimmed and lowercased, phones in
    E.164 as libphonenumber reads them, customer ids as they are."""
    value = value.strip()
    if identifier_type == "email":
        if "@" not in value:
            raise ValueError(f"not an email address: {value!r}")
        return value.lower()
    if identifier_type == "phone":
        country = default_country or phone_settings()[0]
        try:
            number = phonenumbers.parse(value, country)
        except phonenumbers.NumberParseException as exc:
            raise ValueError(f"not a phone number: {value!r} ({exc})") from exc
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if identifier_type == "customer_id":
        return value
    raise ValueError(f"identifier type must be one of {', '.join(IDENTIFIER_TYPES)}")


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class ErasureRequest:
    request_id: str
    identifier_type: str
    identifier_sha256: str
    requested_at: datetime


def request(
    warehouse: Warehouse,
    identifier_type: str,
    value: str,
    *,
    source: str = "operator",
    note: str | None = None,
    requested_at: datetime | None = None,
) -> ErasureRequest:
    """Record one request. Recording the same identifier twice keeps the first."""
    digest = sha256_hex(normalized(identifier_type, value))
    at = (requested_at or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    ensure(warehouse)
    with warehouse.transaction() as conn:
        existing = conn.execute(
            sa.text(
                f"select request_id, requested_at from {TABLE} "
                "where identifier_type = :t and identifier_sha256 = :h"
            ),
            {"t": identifier_type, "h": digest},
        ).first()
        if existing:
            return ErasureRequest(existing[0], identifier_type, digest, existing[1])
        request_id = uuid.uuid4().hex
        conn.execute(
            sa.text(
                f"insert into {TABLE} (request_id, identifier_type, identifier_sha256, "
                "requested_at, source, note) values (:i, :t, :h, :a, :s, :n)"
            ),
            {"i": request_id, "t": identifier_type, "h": digest, "a": at, "s": source, "n": note},
        )
    _blank_resubscriptions(warehouse, identifier_type, digest)
    return ErasureRequest(request_id, identifier_type, digest, at)


# The re-subscription audit (connectors/sync/resubscribe.py) keeps the email it
# acted on; once that person asks to be forgotten only the hash may stay.
RESUBSCRIPTIONS = ("omnihub_sync", "resubscriptions")


def _blank_resubscriptions(warehouse: Warehouse, identifier_type: str, digest: str) -> None:
    if identifier_type != "email":
        return
    schema, table = RESUBSCRIPTIONS
    with warehouse.transaction() as conn:
        if not sa.inspect(conn).has_table(table, schema=schema):
            return
        conn.execute(
            sa.text(f"update {schema}.{table} set email = null where email_sha256 = :h"),
            {"h": digest},
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--email")
    group.add_argument("--phone")
    group.add_argument("--customer-id")
    parser.add_argument("--note", help="where the request came from (a ticket, a form)")
    args = parser.parse_args(argv)
    given = {"email": args.email, "phone": args.phone, "customer_id": args.customer_id}
    identifier_type, value = next((t, v) for t, v in given.items() if v)
    try:
        done = request(Warehouse.from_env(), identifier_type, value, note=args.note)
    except ValueError as exc:
        parser.error(str(exc))
    print(
        f"erasure request {done.request_id} recorded ({identifier_type}, sha256 "
        f"{done.identifier_sha256[:12]}...); the next dbt build suppresses this person "
        "everywhere and the next syncs remove them where they were sent."
    )


if __name__ == "__main__":
    main()
