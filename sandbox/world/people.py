"""Canonical people: who they are and which channels they use, before any mess.

Every person is a pure function of (seed, person_id): no global state, so the
world can be generated in chunks of people with flat memory, advanced a day
later without re-reading it, and checked by tests from the same function.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import phonenumbers

from sandbox.world.addresses import Address, make_address, previous_address
from sandbox.world.config import NoiseConfig

FIRST_NAMES = (
    "Ada",
    "Alan",
    "Amara",
    "Ana",
    "Ben",
    "Bea",
    "Carla",
    "Chen",
    "Dana",
    "Diego",
    "Eli",
    "Emma",
    "Farah",
    "Finn",
    "Grace",
    "Hugo",
    "Ines",
    "Ivan",
    "Jade",
    "Jonas",
    "Kai",
    "Kira",
    "Leo",
    "Lena",
    "Maya",
    "Mateo",
    "Nia",
    "Noah",
    "Omar",
    "Olga",
    "Priya",
    "Paul",
    "Quinn",
    "Rosa",
    "Sam",
    "Sofia",
    "Tariq",
    "Tess",
    "Uma",
    "Victor",
    "Wen",
    "Yara",
    "Zoe",
    "Luca",
    "Mina",
    "Ravi",
    "Elena",
    "Tom",
)
LAST_NAMES = (
    "Smith",
    "Garcia",
    "Chen",
    "Patel",
    "Muller",
    "Rossi",
    "Dubois",
    "Kowalski",
    "Nguyen",
    "Okafor",
    "Silva",
    "Jensen",
    "Novak",
    "Haddad",
    "Tanaka",
    "Murphy",
    "Schmidt",
    "Moreau",
    "Costa",
    "Ivanova",
    "Larsen",
    "Brown",
    "Walker",
    "Young",
    "Lopez",
    "Kim",
    "Fischer",
    "Bernard",
    "Romano",
    "Sato",
    "Cohen",
    "Ali",
    "Evans",
    "Wright",
    "Baker",
    "Hill",
    "Green",
    "Adams",
)
DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "icloud.com", "proton.me", "fastmail.com")
# Phone countries: mostly US, some GB/DE/FR (calling code, national significant number length)
COUNTRIES = (("US", 0.82), ("GB", 0.07), ("DE", 0.06), ("FR", 0.05))


@dataclass(frozen=True)
class Person:
    person_id: int
    first_name: str
    last_name: str
    email: str
    alt_email: str | None
    country: str
    phone_e164: str
    first_seen: datetime
    online: bool
    store: bool
    email_channel: bool
    lead: bool
    support: bool
    bridge: bool
    """Known by email on Shopify only, by phone on Square only, by both in Klaviyo."""
    household_of: int | None = None
    """Shares this other person's email (one inbox for a household)."""
    channels: tuple[str, ...] = field(default=())
    home: Address | None = None
    """Where the person lives now (a household's members share one home)."""
    previous_home: Address | None = None
    """Where they lived before, if they moved within the span."""


SALT_SURNAME = 233


def person_rng(seed: int, person_id: int, salt: int = 0) -> random.Random:
    return random.Random((seed * 1_000_003 + person_id) * 7_919 + salt)


def _phone(rng: random.Random, country: str) -> str:
    """A mobile number that libphonenumber accepts as valid (assigned ranges only,
    as real customers' numbers are): drawn until it is."""
    while True:
        if country == "US":
            area = rng.choice((212, 312, 415, 503, 617, 646, 702, 718, 773, 808, 917))
            number = f"+1{area}{rng.randrange(201, 1000)}{rng.randrange(0, 10000):04d}"
        elif country == "GB":
            number = f"+447{rng.choice('45789')}{rng.randrange(0, 10**8):08d}"
        elif country == "DE":
            prefix = rng.choice(("151", "160", "170", "171", "175"))
            digits = 8 if prefix.startswith("15") else 7
            number = f"+49{prefix}{rng.randrange(0, 10**digits):0{digits}d}"
        else:
            number = f"+336{rng.randrange(0, 9)}{rng.randrange(0, 10**7):07d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(number)):
            return number


def _base_email(rng: random.Random, first: str, last: str, person_id: int) -> str:
    style = rng.randrange(3)
    local = (
        f"{first}.{last}" if style == 0 else f"{first[0]}{last}" if style == 1 else f"{first}{last}"
    ).lower()
    return f"{local}{person_id}@{rng.choice(DOMAINS)}"


def make_person(
    seed: int, person_id: int, start: datetime, days: int, noise: NoiseConfig
) -> Person:
    """The canonical person `person_id` of world `seed` (first seen within the span)."""
    rng = person_rng(seed, person_id)
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    email = _base_email(rng, first, last, person_id)
    alt = _base_email(rng, first, last, person_id + 7) if rng.random() < noise.alt_email else None
    roll = rng.random()
    country = "US"
    acc = 0.0
    for code, share in COUNTRIES:
        acc += share
        if roll < acc:
            country = code
            break
    phone = _phone(rng, country)
    first_seen = start + timedelta(seconds=rng.randrange(max(1, days * 86400 - 3600)))

    online = rng.random() < 0.55
    store = rng.random() < 0.38
    email_channel = rng.random() < 0.6
    lead = rng.random() < 0.12
    support = rng.random() < 0.2
    if not (online or store or email_channel or lead or support):
        online = True
    bridge = online and store and email_channel and rng.random() < noise.transitive_bridge

    household_of = None
    if person_id % 2 == 1 and rng.random() < noise.household_email * 2:
        household_of = person_id - 1
    # A household lives in its first member's home (and country); often its
    # members share a surname. Drawn from their own generators, so the draws
    # above (names, email, phone, channels) are the same as without homes.
    home_country = country
    if household_of is not None:
        partner = make_person(seed, household_of, start, days, noise)
        home_country = partner.country
        if person_rng(seed, person_id, SALT_SURNAME).random() < noise.household_surname:
            last = partner.last_name
    home = make_address(seed, household_of if household_of is not None else person_id, home_country)
    previous = previous_address(seed, person_id, home_country, noise)
    channels = tuple(
        name
        for name, on in (
            ("shopify", online),
            ("square", store),
            ("klaviyo", email_channel),
            ("meta_ads", lead),
            ("zendesk", support),
        )
        if on
    )
    return Person(
        person_id=person_id,
        first_name=first,
        last_name=last,
        email=email,
        alt_email=alt,
        country=country,
        phone_e164=phone,
        first_seen=first_seen,
        online=online,
        store=store,
        email_channel=email_channel,
        lead=lead,
        support=support,
        bridge=bridge,
        household_of=household_of,
        channels=channels,
        home=home,
        previous_home=previous,
    )


# Platforms that keep one account per email address: a second sign-up with a
# taken address is refused (Shopify "Email has already been taken", Klaviyo's
# "duplicate_profile" 409, Zendesk's unique user identities), so there a household's
# second member signs up with their own address. Square, Meta lead forms and the
# order forms take whatever address is typed. Value: the Person flag for presence.
UNIQUE_EMAIL_PLATFORMS = {"shopify": "online", "klaviyo": "email_channel", "zendesk": "support"}


def shared_email(
    person: Person,
    seed: int,
    start: datetime,
    days: int,
    noise: NoiseConfig,
    platform: str | None = None,
) -> str:
    """The email this person actually gives (on `platform`, if named): their own, or
    their household's, unless that platform already holds the household's address."""
    if person.household_of is None:
        return person.email
    partner = make_person(seed, person.household_of, start, days, noise)
    flag = UNIQUE_EMAIL_PLATFORMS.get(platform or "")
    if flag and getattr(partner, flag):
        return person.email
    return partner.email
