"""How messy the world is: every rate in one place so benchmarks can vary noise."""

from __future__ import annotations

from dataclasses import dataclass

JUNK_EMAILS = ("test@test.com", "noemail@example.com")
JUNK_PHONES = ("0000000000",)


@dataclass(frozen=True)
class NoiseConfig:
    email_case_whitespace: float = 0.15
    """Share of emails typed with different case or stray spaces (same identifier)."""
    gmail_variant: float = 0.3
    """Share of gmail addresses written with dots moved or a +tag (same mailbox)."""
    email_typo: float = 0.02
    """Share of emails with a typo: a different address, not linkable by email."""
    alt_email: float = 0.15
    """Share of people who use a second email on some platform."""
    alt_email_use: float = 0.3
    """Given a second email, how often a platform record carries it."""
    missing_email: float = 0.06
    missing_phone: float = 0.35
    household_email: float = 0.02
    """Share of people sharing one email with another person in their household."""
    transitive_bridge: float = 0.1
    """Omnichannel people known by email on Shopify, phone on Square, both in Klaviyo."""
    junk_identifier: float = 0.004
    """Share of records carrying a junk identifier (test@test.com, 0000000000...)."""
    moved: float = 0.1
    """Share of people who moved within the span: records not updated since keep the
    old home (about one American in ten moves in a year)."""
    address_typo: float = 0.02
    """Share of written addresses with a typo in the street (half as many in the
    postal code): a different street line, not linkable by address."""
    household_surname: float = 0.6
    """Given a household, how often its second member carries the first's surname."""
