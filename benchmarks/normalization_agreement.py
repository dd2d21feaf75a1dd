"""Agreement of the SQL identifier normalization with the reference libraries.

    .venv/bin/python benchmarks/normalization_agreement.py --people 100000

Ingests the sandbox world, builds the staging models, then normalizes every raw
email and phone again in Python: emails with `email-validator` (syntax only, no
DNS) plus the same Gmail canonical form, phones with `phonenumbers` (parsed in
the record's country, else the default, kept only if a valid number, written as
E.164). Prints the share of identifiers on which SQL and the library agree
(both null counts as agreement) and examples of disagreement. The issue's bar:
>= 99.5%, else normalization moves to Python at landing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _sandbox import landed_duckdb, run_dbt, serve, world_for

DEFAULT_COUNTRY = "US"

# (staging model, raw table, raw email path, raw phone path, raw country path, id column)
SOURCES = [
    ("stg_shopify__customers", "shopify__customers", "$.email", "$.phone",
     "$.default_address.country_code", "shopify_customer_id"),
    ("stg_klaviyo__profiles", "klaviyo__profiles", "$.attributes.email",
     "$.attributes.phone_number", "$.attributes.location.country", "klaviyo_profile_id"),
    ("stg_square__customers", "square__customers", "$.email_address", "$.phone_number",
     "$.address.country", "square_customer_id"),
    ("stg_zendesk__users", "zendesk__users", "$.email", "$.phone", None, "zendesk_user_id"),
]  # fmt: skip


def library_email(raw: str | None) -> str | None:
    from email_validator import EmailNotValidError, validate_email

    if raw is None or not raw.strip():
        return None
    try:
        normalized = validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None
    local, _, domain = normalized.rpartition("@")
    if domain in ("gmail.com", "googlemail.com"):
        return local.split("+", 1)[0].replace(".", "") + "@gmail.com"
    return normalized


def library_phone(raw: str | None, country: str | None) -> str | None:
    import phonenumbers

    if raw is None or not raw.strip():
        return None
    try:
        number = phonenumbers.parse(raw, (country or DEFAULT_COUNTRY).upper())
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def measure(conn) -> dict[str, tuple[int, int, Counter]]:
    out: dict[str, tuple[int, int, Counter]] = {}
    emails = phones = email_agree = phone_agree = 0
    email_diff: Counter = Counter()
    phone_diff: Counter = Counter()
    for model, raw_table, email_path, phone_path, country_path, id_col in SOURCES:
        country = f"json_extract_string(r.payload, '{country_path}')" if country_path else "null"
        rows = conn.execute(
            f"""
            select json_extract_string(r.payload, '{email_path}'),
                   json_extract_string(r.payload, '{phone_path}'),
                   {country}, s.email_normalized, s.phone_e164
            from staging.{model} s
            join (select id, payload from raw.{raw_table}
                  qualify row_number() over (partition by id order by updated_at desc,
                                             _loaded_at desc) = 1) r
              on r.id = s.{id_col}
            """
        ).fetchall()
        for raw_email, raw_phone, ctry, sql_email, sql_phone in rows:
            if raw_email is not None:
                emails += 1
                lib = library_email(raw_email)
                if lib == sql_email:
                    email_agree += 1
                else:
                    email_diff[(raw_email, sql_email, lib)] += 1
            if raw_phone is not None:
                phones += 1
                lib = library_phone(raw_phone, ctry)
                if lib == sql_phone:
                    phone_agree += 1
                else:
                    phone_diff[(raw_phone, ctry, sql_phone, lib)] += 1
    out["email"] = (emails, email_agree, email_diff)
    out["phone"] = (phones, phone_agree, phone_diff)
    return out


def main() -> None:
    import duckdb

    from warehouse import Warehouse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    world = world_for(args.people, args.seed)
    emulator = serve(world)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            landed_duckdb(world, emulator.env, Path(tmp) / "omnihub.duckdb")
            warehouse = Warehouse.duckdb(Path(tmp) / "omnihub.duckdb")
            run_dbt(warehouse, "run", "--select", "staging")
            warehouse.dispose()
            conn = duckdb.connect(str(Path(tmp) / "omnihub.duckdb"), read_only=True)
            results = measure(conn)
            conn.close()
    finally:
        emulator.stop()
    print(f"identifier normalization, SQL vs library, {args.people:,} people (seed {args.seed})")
    for kind, (total, agree, diff) in results.items():
        library = "email-validator" if kind == "email" else "phonenumbers"
        share = agree / total if total else 1.0
        print(f"  {kind:<6} {agree:>9,} / {total:>9,} agree with {library}: {share:.4%}")
        for example, n in diff.most_common(5):
            print(f"         {n:>6,} x {example}")
    print("  bar: >= 99.5% for normalization to stay in SQL")


if __name__ == "__main__":
    main()
