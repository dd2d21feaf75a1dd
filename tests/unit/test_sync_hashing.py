"""Normalization then SHA-256 once, per Meta's customer-information rules.

Examples are the ones Meta's hashing guides give (Customer File Custom Audiences,
"Hashing and normalizing data"; Conversions API customer information
parameters); expected digests are computed here with hashlib from the expected
normalized text, independently of the module under test.
"""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from connectors.sync.hashing import (
    hash_identifier,
    is_sha256,
    normalize_birth_year,
    normalize_city,
    normalize_country,
    normalize_email,
    normalize_first_initial,
    normalize_gender,
    normalize_name,
    normalize_phone,
    normalize_state,
    normalize_zip,
    sha256_once,
)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  John_Smith@gmail.com ", "john_smith@gmail.com"),  # trim, lowercase
        ("Mary.Ann+news@Example.COM", "mary.ann+news@example.com"),  # nothing else changes
        ("not an email", None),
        ("", None),
        (None, None),
    ],
)
def test_email_is_trimmed_and_lowercased(raw, expected) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+1 (616) 954-78 88", "16169547888"),  # Meta's example: digits with country code
        ("1-234-567-8910", "12345678910"),
        ("+44 844 412 4653", "448444124653"),
        ("0033 6 54 70 77 03", "33654707703"),  # international prefix: leading zeros go
        ("+33654707703", "33654707703"),  # E.164 from the customer view
        ("12", None),  # too short to carry a country code
        ("", None),
    ],
)
def test_phone_is_digits_with_country_code_no_plus_no_leading_zeros(raw, expected) -> None:
    assert normalize_phone(raw) == expected


def test_names_places_and_codes() -> None:
    assert normalize_name(" Mary-Jane ") == "maryjane"
    assert normalize_name("O'Brien") == "obrien"
    assert normalize_name("Émilie") == "émilie"  # UTF-8 letters kept
    assert normalize_first_initial("Joe") == "j"
    assert normalize_city("New York") == "newyork"
    assert normalize_city("St. Louis") == "stlouis"
    assert normalize_state("CA") == "ca"
    assert normalize_zip("94025-1234") == "94025"  # US: first 5 digits
    assert normalize_zip("SW1A 1AA") == "sw1a1aa"
    assert normalize_country("US") == "us"
    assert normalize_country("United States") is None  # alpha-2 only
    assert normalize_gender("Female") == "f" and normalize_gender("M") == "m"
    assert normalize_gender("x") is None
    assert normalize_birth_year(date(1990, 2, 1)) == "1990"
    assert normalize_birth_year("1985") == "1985"


def test_sha256_once_never_hashes_twice() -> None:
    digest = _sha("joe@eg.com")
    assert sha256_once("joe@eg.com") == digest
    assert sha256_once(digest) == digest  # already a digest: returned as is
    assert sha256_once(digest.upper()) == digest  # as lowercase hex, which Meta wants
    assert sha256_once(sha256_once("joe@eg.com")) == digest
    assert is_sha256(digest) and not is_sha256(digest[:-1]) and not is_sha256(digest.upper())


def test_hash_identifier_normalizes_then_hashes_or_keeps_a_digest() -> None:
    assert hash_identifier("EMAIL", " Joe@EG.com ") == _sha("joe@eg.com")
    assert hash_identifier("PHONE", "+1 (616) 954-78 88") == _sha("16169547888")
    assert hash_identifier("FN", "Mary") == _sha("mary")
    pre_hashed = _sha("joe@eg.com")
    assert hash_identifier("EMAIL", pre_hashed) == pre_hashed
    assert hash_identifier("EMAIL", "nobody") is None  # unusable: nothing is sent
    assert hash_identifier("PHONE", None) is None
