"""How people actually type their identifiers on each platform.

Variants that are the same identifier after normalization (case, spaces, gmail
dots and +tags, phone formats) versus ones that are not (typos, junk shared by
many): identity resolution must link the first kind and not the second.
"""

from __future__ import annotations

import random

from sandbox.world.config import JUNK_EMAILS, JUNK_PHONES, NoiseConfig
from sandbox.world.people import Person


def typo(email: str, rng: random.Random) -> str:
    local, _, domain = email.partition("@")
    i = rng.randrange(len(local))
    replacement = rng.choice([c for c in "aeiouxyz" if c != local[i]])
    return f"{local[:i]}{replacement}{local[i + 1 :]}@{domain}"


def email_variant(email: str, rng: random.Random, noise: NoiseConfig) -> str:
    local, _, domain = email.partition("@")
    if domain == "gmail.com" and rng.random() < noise.gmail_variant:
        if rng.random() < 0.5:
            local = local.replace(".", "") if "." in local else f"{local[:2]}.{local[2:]}"
        else:
            local = f"{local}+{rng.choice(('shop', 'news', 'promo', 'x'))}"
    out = f"{local}@{domain}"
    if rng.random() < noise.email_case_whitespace:
        out = rng.choice((out.upper(), out.title(), f" {out}", f"{out} ", out.capitalize()))
    return out


def phone_variant(e164: str, country: str, rng: random.Random) -> str:
    """One of the ways people write the same number (national or international)."""
    if country == "US":
        n = e164[2:]
        a, b, c = n[:3], n[3:6], n[6:]
        return rng.choice(
            (
                e164,
                f"({a}) {b}-{c}",
                f"{a}-{b}-{c}",
                f"{a}.{b}.{c}",
                f"+1 {a} {b} {c}",
                f"1{n}",
                n,
            )
        )
    code = {"GB": "44", "DE": "49", "FR": "33"}[country]
    national = e164[1 + len(code) :]
    spaced = " ".join(national[i : i + 3] for i in range(0, len(national), 3))
    return rng.choice((e164, f"+{code} {spaced}", f"0{national}", f"00{code}{national}"))


def platform_email(
    person: Person, email: str, rng: random.Random, noise: NoiseConfig, unique: bool = False
) -> str | None:
    """The email a platform record carries for this person (possibly none, junk, a typo).

    `unique`: the platform keeps one account per address, so a junk address typed
    there is refused (someone else already holds it) and the person gives theirs."""
    if rng.random() < noise.missing_email:
        return None
    if rng.random() < noise.junk_identifier:
        junk = rng.choice(JUNK_EMAILS)
        if not unique:
            return junk
    chosen = email
    if person.alt_email and rng.random() < noise.alt_email_use:
        chosen = person.alt_email
    if rng.random() < noise.email_typo:
        chosen = typo(chosen, rng)
    return email_variant(chosen, rng, noise)


def platform_phone(person: Person, rng: random.Random, noise: NoiseConfig) -> str | None:
    if rng.random() < noise.missing_phone:
        return None
    if rng.random() < noise.junk_identifier:
        return rng.choice(JUNK_PHONES)
    return phone_variant(person.phone_e164, person.country, rng)
