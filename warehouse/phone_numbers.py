"""Phone numbers normalized by Google's libphonenumber (the `phonenumbers` port).

SQL could not match the library (95.6% agreement on the sandbox's phones,
benchmarks/normalization_agreement.py): validity depends on each country's
numbering plan, which only the library's metadata knows. So every raw phone
string is normalized once, here, into `identity.phone_numbers`, and staging
looks it up by (raw text, country hint).

Rows: for each (raw_phone, hint_country) the primary reading (`reading_country`
= the hint, or the default country when the source gives none) and, for
national-format numbers with no hint that are not valid in the default
country, one reading per candidate country. Identity resolution uses those
alternative readings only when exactly one matches a number another record
carries.

Incremental: a watermark per raw table (`_loaded_at`) means each day reads only
newly landed rows; a string already normalized is never normalized again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import phonenumbers
import pyarrow as pa
import sqlalchemy as sa
import yaml

from warehouse.bulk import temp_table
from warehouse.connection import Warehouse

SCHEMA = "identity"
TABLE = f"{SCHEMA}.phone_numbers"
WATERMARKS = f"{SCHEMA}._phone_numbers_watermarks"
STAGE_ROWS = 50_000


def _lead_phone(payload: Mapping[str, Any]) -> Any:
    """Meta lead forms: field_data is [{"name": ..., "values": [...]}, ...]."""
    for field in payload.get("field_data") or []:
        if isinstance(field, Mapping) and field.get("name") == "phone_number":
            values = field.get("values") or []
            return values[0] if values else None
    return None


@dataclass(frozen=True)
class PhoneField:
    """Where a raw stream keeps a person's phone (and country, if it has one);
    staging reads the same paths. `extract` is for shapes a JSON path cannot
    reach (an array searched by name), read in Python."""

    table: str
    phone: tuple[str, ...] = ()
    country: tuple[str, ...] = ()
    extract: Callable[[Mapping[str, Any]], Any] | None = None
    name: str | None = None
    """Its watermark's key when a table has a second phone field (the first
    keeps the table's name)."""

    @property
    def watermark(self) -> str:
        return self.name or self.table


PHONE_FIELDS: Sequence[PhoneField] = (
    PhoneField("shopify__customers", ("phone",), ("default_address", "country_code")),
    PhoneField(
        "shopify__customers",
        ("default_address", "phone"),
        ("default_address", "country_code"),
        name="shopify__customers.default_address.phone",
    ),
    PhoneField(
        "klaviyo__profiles", ("attributes", "phone_number"), ("attributes", "location", "country")
    ),
    PhoneField("square__customers", ("phone_number",), ("address", "country")),
    PhoneField("square__loyalty_accounts", ("mapping", "phone_number")),
    PhoneField("zendesk__users", ("phone",)),
    PhoneField("meta_ads__leads", extract=_lead_phone),
)


def _json_text(path: tuple[str, ...]) -> str:
    """payload -> 'a' ->> 'b': the same operators on DuckDB JSON and PostgreSQL JSONB."""
    keys = [f"'{key}'" for key in path]
    return "(payload" + "".join(f" -> {k}" for k in keys[:-1]) + f" ->> {keys[-1]})"


def readings(
    raw_phone: str, hint: str, default_country: str, candidates: Iterable[str]
) -> Iterator[tuple[str, str | None, bool]]:
    """(reading_country, E.164 or None, is_primary) for one raw phone string."""
    primary_country = hint or default_country
    primary = _e164(raw_phone, primary_country)
    yield primary_country, primary, True
    if primary is None and not hint and not raw_phone.strip().startswith("+"):
        for country in candidates:
            if country != primary_country:
                reading = _e164(raw_phone, country)
                if reading is not None:
                    yield country, reading, False


def _e164(raw_phone: str, country: str) -> str | None:
    try:
        number = phonenumbers.parse(raw_phone, country)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


DBT_PROJECT_FILE = Path(__file__).resolve().parent.parent / "dbt_project" / "dbt_project.yml"


def settings(dbt_project_file: Path = DBT_PROJECT_FILE) -> tuple[str, list[str]]:
    """(default country, candidate countries): the dbt project's vars
    `default_phone_country` and `phone_countries`, so identity is configured in
    one place."""
    variables = yaml.safe_load(dbt_project_file.read_text()).get("vars") or {}
    return (
        str(variables.get("default_phone_country", "US")).upper(),
        [str(c).upper() for c in variables.get("phone_countries", ["US"])],
    )


@dataclass
class RefreshResult:
    phone_strings_seen: int = 0
    readings_added: int = 0


def refresh(
    warehouse: Warehouse,
    *,
    default_country: str | None = None,
    candidates: Sequence[str] | None = None,
    fields: Sequence[PhoneField] = PHONE_FIELDS,
) -> RefreshResult:
    """Normalize the phones of rows landed since the last refresh; a table's
    watermark moves after its last slice of new phones, and a slice repeated
    after a crash adds nothing twice."""
    configured_default, configured_candidates = settings()
    default_country = default_country or configured_default
    candidates = candidates if candidates is not None else configured_candidates
    result = RefreshResult()
    with warehouse.transaction() as conn:
        conn.execute(sa.text(f"create schema if not exists {SCHEMA}"))
        conn.execute(
            sa.text(
                f"create table if not exists {TABLE} ("
                " raw_phone varchar not null, hint_country varchar not null,"
                " reading_country varchar not null, e164 varchar, is_primary boolean not null)"
            )
        )
        conn.execute(
            sa.text(
                f"create table if not exists {WATERMARKS} ("
                " raw_table varchar primary key, loaded_until timestamp not null)"
            )
        )
        tables = set(
            conn.execute(
                sa.text(
                    "select table_name from information_schema.tables where table_schema = 'raw'"
                )
            ).scalars()
        )
    for field in fields:
        if field.table in tables:
            _refresh_table(warehouse, field, default_country, candidates, result)
    return result


def _refresh_table(
    warehouse: Warehouse,
    field: PhoneField,
    default_country: str,
    candidates: Sequence[str],
    result: RefreshResult,
) -> None:
    with warehouse.transaction() as conn:
        mark = conn.execute(
            sa.text(f"select loaded_until from {WATERMARKS} where raw_table = :t"),
            {"t": field.watermark},
        ).scalar()
        until = conn.execute(sa.text(f"select max(_loaded_at) from raw.{field.table}")).scalar()
        if until is None or (mark is not None and until <= mark):
            return
        window = {"mark": mark or datetime(1970, 1, 1), "until": until}
        where = "_loaded_at > :mark and _loaded_at <= :until"
        pairs: set[tuple[str, str]] = set()
        if field.extract is None:
            # Distinct strings only: the warehouse does the scanning.
            country = f"upper({_json_text(field.country)})" if field.country else "null"
            rows = conn.execute(
                sa.text(
                    f"select distinct {_json_text(field.phone)}, {country} from raw.{field.table} "
                    f"where {where} and {_json_text(field.phone)} is not null"
                ),
                window,
            )
            pairs = {(phone.strip(), hint or "") for phone, hint in rows if phone.strip()}
        else:
            payloads = conn.execute(
                sa.text(f"select cast(payload as varchar) from raw.{field.table} where {where}"),
                window,
            ).scalars()
            for text in payloads:
                phone = field.extract(orjson.loads(text))
                if isinstance(phone, str) and phone.strip():
                    pairs.add((phone.strip(), ""))
    result.phone_strings_seen += len(pairs)
    fresh = [
        (phone, hint, country, e164, primary)
        for phone, hint in sorted(pairs)
        for country, e164, primary in readings(phone, hint, default_country, candidates)
    ]
    # A slice at a time, each in its own transaction, through a temporary table;
    # a reading already stored is not inserted again, so a slice repeated after
    # a crash (the watermark moves only after the last) adds nothing twice.
    # DuckDB (2.0) let an insert ... select read none of the rows of a table
    # created and filled in the same transaction once they passed one row group
    # (122,880), which silently dropped a 1M world's phones; one transaction for
    # them all, or a primary-key index (held in memory), exceeds the landing
    # connection's memory limit at a million phones, so the key is kept by the
    # anti-join instead (dbt tests it: unique readings).
    for start in range(0, len(fresh), STAGE_ROWS):
        columns = list(zip(*fresh[start : start + STAGE_ROWS], strict=True))
        with warehouse.transaction() as conn:
            staged = temp_table(
                conn,
                warehouse.kind,
                "phone_numbers_incoming",
                {
                    "raw_phone": pa.array(columns[0], pa.string()),
                    "hint_country": pa.array(columns[1], pa.string()),
                    "reading_country": pa.array(columns[2], pa.string()),
                    "e164": pa.array(columns[3], pa.string()),
                    "is_primary": pa.array(columns[4], pa.bool_()),
                },
            )
            inserted = conn.execute(
                sa.text(
                    f"insert into {TABLE} select * from {staged} as s where not exists ("
                    f" select 1 from {TABLE} as t where t.raw_phone = s.raw_phone"
                    " and t.hint_country = s.hint_country"
                    " and t.reading_country = s.reading_country)"
                )
            ).rowcount
            result.readings_added += max(inserted or 0, 0)
            conn.exec_driver_sql(f"drop table {staged}")
    with warehouse.transaction() as conn:
        conn.execute(
            sa.text(
                f"insert into {WATERMARKS} (raw_table, loaded_until) values (:t, :u) "
                "on conflict (raw_table) do update set loaded_until = excluded.loaded_until"
            ),
            {"t": field.watermark, "u": until},
        )
