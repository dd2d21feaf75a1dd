"""Phones read by libphonenumber into identity.phone_numbers, incrementally, on both warehouses."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from warehouse import LandedRecord, Landing, Warehouse, phone_numbers

TS = datetime(2026, 5, 1, tzinfo=UTC)


def _readings(wh: Warehouse) -> set[tuple]:
    with wh.transaction() as conn:
        return {
            tuple(r)
            for r in conn.execute(
                sa.text(
                    "select raw_phone, hint_country, reading_country, e164, is_primary "
                    "from identity.phone_numbers"
                )
            )
        }


def test_refresh_reads_each_phone_in_its_country_and_only_once(any_warehouse: Warehouse) -> None:
    landing = Landing(any_warehouse)
    landing.land_page(
        "shopify",
        "customers",
        [
            LandedRecord(
                "1", TS, {"phone": "(212) 555-0142", "default_address": {"country_code": "us"}}
            ),
            LandedRecord(
                "2", TS, {"phone": " 07400 123456 ", "default_address": {"country_code": "GB"}}
            ),
            LandedRecord("3", TS, {"phone": "0000000000"}),
            LandedRecord("4", TS, {"email": "no-phone@example.com"}),
            # the phone a checkout took, on the default address only
            LandedRecord(
                "5", TS, {"default_address": {"phone": "917.555.0123", "country_code": "US"}}
            ),
        ],
        [],
        None,
        "b1",
    )
    landing.land_page(
        "zendesk", "users", [LandedRecord("9", TS, {"phone": "07400 123456"})], [], None, "b1"
    )
    first = phone_numbers.refresh(
        any_warehouse, default_country="US", candidates=["US", "GB", "DE"]
    )
    assert first.phone_strings_seen == 5
    assert _readings(any_warehouse) == {
        ("(212) 555-0142", "US", "US", "+12125550142", True),
        ("917.555.0123", "US", "US", "+19175550123", True),
        ("07400 123456", "GB", "GB", "+447400123456", True),
        ("0000000000", "", "US", None, True),
        # no country on the Zendesk user: invalid in the default country, so every
        # candidate country's valid reading is kept (a UK mobile and a German
        # landline alike); identity links it only if exactly one is known
        ("07400 123456", "", "US", None, True),
        ("07400 123456", "", "GB", "+447400123456", False),
        ("07400 123456", "", "DE", "+497400123456", False),
    }
    again = phone_numbers.refresh(
        any_warehouse, default_country="US", candidates=["US", "GB", "DE"]
    )
    assert (again.phone_strings_seen, again.readings_added) == (0, 0)

    landing.land_page(
        "square",
        "customers",
        [LandedRecord("s1", TS, {"phone_number": "+49 151 23456789"})],
        [],
        None,
        "b2",
    )
    later = phone_numbers.refresh(
        any_warehouse, default_country="US", candidates=["US", "GB", "DE"]
    )
    assert (later.phone_strings_seen, later.readings_added) == (1, 1)
    assert ("+49 151 23456789", "", "US", "+4915123456789", True) in _readings(any_warehouse)


def test_refresh_keeps_every_reading_past_one_duckdb_row_group(any_warehouse: Warehouse) -> None:
    """More fresh readings than one DuckDB row group (122,880): a table created
    and filled in the refresh's own transaction once let the insert read none
    of them, and a 1M-people world lost nine phones in ten without an error."""
    landing = Landing(any_warehouse)
    n = 130_000
    for start in range(0, n, 10_000):
        records = [
            LandedRecord(str(i), TS, {"phone": f"+1212{2000000 + i}"})
            for i in range(start, start + 10_000)
        ]
        landing.land_page("zendesk", "users", records, [], None, f"b{start}")
    result = phone_numbers.refresh(any_warehouse, default_country="US", candidates=["US"])
    assert result.phone_strings_seen == n
    with any_warehouse.transaction() as conn:
        stored = conn.execute(sa.text("select count(*) from identity.phone_numbers")).scalar()
    assert stored == result.readings_added == n
