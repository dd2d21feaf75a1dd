"""Normalize, then SHA-256 once: customer information as ad platforms match it.

Meta matches customer-file audiences on SHA-256 hashes of *normalized* values
("Customer File Custom Audiences", section "Hashing and normalizing data":
https://developers.facebook.com/docs/marketing-api/audiences/guides/custom-audiences#hash,
and the same rules in the Conversions API's customer information parameters:
https://developers.facebook.com/docs/marketing-api/conversions-api/parameters/customer-information-parameters).
A value normalized differently from how Meta normalized its own copy never
matches, so the rules live here once, as pure functions:

| key     | rule                                                                  |
|---------|-----------------------------------------------------------------------|
| EMAIL   | trim, lowercase                                                       |
| PHONE   | digits only, with the country code; no '+', no leading zeros ("00")  |
| FN, LN  | lowercase, no punctuation, no whitespace (UTF-8 letters kept)         |
| FI      | first letter of the normalized first name                             |
| CT      | lowercase letters only: no digits, punctuation or whitespace          |
| ST      | lowercase letters only (US: the 2-letter ANSI code, e.g. "ca")        |
| ZIP     | lowercase, no whitespace; US ZIP+4 keeps the first 5 digits           |
| COUNTRY | lowercase ISO 3166-1 alpha-2 ("us")                                   |
| GEN     | "m" or "f"                                                            |
| DOBY    | YYYY; DOBM: MM; DOBD: DD                                              |
| EXTERN_ID | as given, trimmed (hashing recommended)                             |

Every normalizer returns None for a value it cannot use (the caller sends
nothing for that key rather than a hash that can never match). A value that
already is a SHA-256 digest is passed through unchanged: hash once, never twice.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

_SHA256 = re.compile(r"[0-9a-f]{64}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE_MIN_DIGITS = 7  # shorter than any number with a country code (E.164 allows 15)
_PHONE_MAX_DIGITS = 15


def is_sha256(value: str) -> bool:
    """A 64-character lowercase hex digest (what Meta accepts for every key)."""
    return bool(_SHA256.fullmatch(value))


def sha256_once(value: str) -> str:
    """SHA-256 hex of `value`, unless `value` already is one (then it is returned
    as is, lowercased): pre-hashed input is never hashed a second time."""
    if is_sha256(value.strip().lower()):
        return value.strip().lower()
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _text(value: Any) -> str:
    return unicodedata.normalize("NFC", str(value)).strip()


def normalize_email(value: Any) -> str | None:
    """Trim and lowercase; None unless it looks like an address."""
    if value in (None, ""):
        return None
    text = _text(value).lower()
    return text if _EMAIL.fullmatch(text) else None


def normalize_phone(value: Any) -> str | None:
    """Digits only, without '+' or leading zeros ("+1 (616) 954-1234" ->
    "16169541234", "0044 20 7183 8750" -> "442071838750"). The number must
    carry its country code: omnihub's phones are E.164 already (libphonenumber,
    warehouse/phone_numbers.py), which this keeps as the digits after '+'."""
    if value in (None, ""):
        return None
    digits = re.sub(r"\D", "", str(value)).lstrip("0")
    if not _PHONE_MIN_DIGITS <= len(digits) <= _PHONE_MAX_DIGITS:
        return None
    return digits


def _letters(value: Any, keep: Callable[[str], bool]) -> str | None:
    if value in (None, ""):
        return None
    text = "".join(ch for ch in _text(value).lower() if keep(ch))
    return text or None


def normalize_name(value: Any) -> str | None:
    """First or last name: lowercase, punctuation and whitespace removed
    ("Mary-Jane " -> "maryjane", "O'Brien" -> "obrien"); accents are kept
    (Meta accepts UTF-8)."""
    return _letters(value, str.isalpha)


def normalize_first_initial(value: Any) -> str | None:
    name = normalize_name(value)
    return name[0] if name else None


def normalize_city(value: Any) -> str | None:
    """ "New York" -> "newyork", "St. Louis" -> "stlouis"."""
    return _letters(value, str.isalpha)


def normalize_state(value: Any) -> str | None:
    """ "CA" -> "ca"; outside the US, the region's name without spaces or punctuation."""
    return _letters(value, str.isalpha)


def normalize_zip(value: Any) -> str | None:
    """Lowercase without whitespace; a US ZIP+4 ("94025-1234") keeps its first 5 digits."""
    if value in (None, ""):
        return None
    text = re.sub(r"\s", "", _text(value).lower())
    if re.fullmatch(r"\d{5}-\d{4}", text):
        text = text[:5]
    return text or None


def normalize_country(value: Any) -> str | None:
    """ISO 3166-1 alpha-2, lowercase ("US" -> "us"); None for anything else."""
    text = _letters(value, lambda ch: "a" <= ch <= "z")
    return text if text and len(text) == 2 else None


def normalize_gender(value: Any) -> str | None:
    text = _letters(value, str.isalpha)
    if text in ("m", "male"):
        return "m"
    if text in ("f", "female"):
        return "f"
    return None


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return None


def normalize_birth_year(value: Any) -> str | None:
    """YYYY, from a year or a date."""
    if value in (None, ""):
        return None
    text = _text(value)
    if re.fullmatch(r"\d{4}", text):
        return text
    day = _as_date(value)
    return f"{day.year:04d}" if day else None


def normalize_external_id(value: Any) -> str | None:
    if value in (None, ""):
        return None
    return _text(value) or None


NORMALIZERS: dict[str, Callable[[Any], str | None]] = {
    "EMAIL": normalize_email,
    "PHONE": normalize_phone,
    "FN": normalize_name,
    "LN": normalize_name,
    "FI": normalize_first_initial,
    "CT": normalize_city,
    "ST": normalize_state,
    "ZIP": normalize_zip,
    "COUNTRY": normalize_country,
    "GEN": normalize_gender,
    "DOBY": normalize_birth_year,
    "EXTERN_ID": normalize_external_id,
}


def hash_identifier(key: str, value: Any) -> str | None:
    """The SHA-256 of `value` normalized by the rule for schema key `key`
    (EMAIL, PHONE, FN, ...); an already-hashed value is kept as it is; None
    when there is nothing usable to send."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    if is_sha256(text.lower()):
        return text.lower()
    normalized = NORMALIZERS[key](value)
    return None if normalized is None else sha256_once(normalized)
