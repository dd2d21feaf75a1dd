"""Where people live, and how each platform ends up writing it down.

A home is a pure function of (seed, home id): the members of a household share
one (the household's first member's), and so do the neighbours of an apartment
building, which differ only in the unit. People who moved within the span have
a previous home too; a record made before the move, or never updated, keeps it.

Records write the same home in many ways (Street / St / St., upper case, the
unit in the first line or the second, or left out); some carry a typo in the
street or the postal code. Only a normalized street line and postal code *and*
the person's full name make evidence: an address alone is a household.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sandbox.world.config import NoiseConfig

STREET_NAMES = (
    "Maple",
    "Oak",
    "Cedar",
    "Pine",
    "Elm",
    "Walnut",
    "Willow",
    "Chestnut",
    "Birch",
    "Spruce",
    "Lake",
    "Hill",
    "Park",
    "River",
    "Sunset",
    "Highland",
    "Meadow",
    "Forest",
    "Spring",
    "Church",
    "Mill",
    "Union",
    "Franklin",
    "Washington",
    "Jefferson",
    "Madison",
    "Lincoln",
    "Jackson",
    "Adams",
    "Monroe",
    "Harrison",
    "Grant",
    "Prospect",
    "Pleasant",
    "Ridge",
    "Valley",
    "Summit",
    "Central",
    "Market",
    "Water",
)
# (long form, the abbreviations people type for it)
SUFFIXES = (
    ("Street", ("St", "St.")),
    ("Avenue", ("Ave", "Ave.", "Av")),
    ("Road", ("Rd", "Rd.")),
    ("Drive", ("Dr", "Dr.")),
    ("Lane", ("Ln", "Ln.")),
    ("Boulevard", ("Blvd", "Blvd.")),
    ("Court", ("Ct", "Ct.")),
    ("Place", ("Pl", "Pl.")),
)
# City, region (a state code in the US, none elsewhere), postal code stem
CITIES = {
    "US": (
        ("New York", "NY", "100"),
        ("Brooklyn", "NY", "112"),
        ("Chicago", "IL", "606"),
        ("San Francisco", "CA", "941"),
        ("Portland", "OR", "972"),
        ("Boston", "MA", "021"),
        ("Las Vegas", "NV", "891"),
        ("Honolulu", "HI", "968"),
    ),
    "GB": (("London", "", "SW"), ("Manchester", "", "M"), ("Leeds", "", "LS")),
    "DE": (("Berlin", "", "10"), ("Hamburg", "", "20"), ("München", "", "80")),
    "FR": (("Paris", "", "75"), ("Lyon", "", "69"), ("Marseille", "", "13")),
}
GERMAN_STREETS = ("Haupt", "Bahnhof", "Garten", "Schul", "Linden", "Berg", "Kirch", "Wald")
FRENCH_STREETS = ("de la Paix", "Victor Hugo", "de la Gare", "du Moulin", "des Lilas", "Pasteur")
APARTMENT_SHARE = 0.3
"""Homes that are a unit in an apartment building, whose street line neighbours share."""
SALT_HOME = 211
SALT_MOVE = 223


@dataclass(frozen=True)
class Address:
    number: int
    street: str
    """The street's name without its kind (Maple), or the whole name abroad."""
    suffix: str
    """Street, Avenue ... (US and GB), empty abroad."""
    unit: str | None
    city: str
    region: str
    postal_code: str
    country: str


def _rng(seed: int, home_id: int, salt: int) -> random.Random:
    return random.Random((seed * 1_000_003 + home_id) * 7_919 + salt)


def make_address(seed: int, home_id: int, country: str, salt: int = SALT_HOME) -> Address:
    """The home `home_id` of world `seed`, in `country`."""
    rng = _rng(seed, home_id, salt)
    city, region, stem = rng.choice(CITIES[country])
    apartment = rng.random() < APARTMENT_SHARE
    # Apartment buildings come from a small pool of street numbers, so several
    # unrelated households share a street line and differ only in the unit.
    number = rng.randrange(1, 120) if apartment else rng.randrange(1, 9000)
    unit = f"{rng.randrange(1, 9)}{rng.choice('ABCD')}" if apartment else None
    if country == "DE":
        street, suffix = rng.choice(GERMAN_STREETS), "straße"
    elif country == "FR":
        street, suffix = rng.choice(FRENCH_STREETS), ""
    else:
        street, suffix = rng.choice(STREET_NAMES), rng.choice(SUFFIXES)[0]
    # a street lies in one postal district: the code follows from city and street
    district = random.Random(f"{city}:{street}:{suffix}:{number // 500}").randrange(100)
    if country == "US":
        postal = f"{stem}{district % 100:02d}"
    elif country == "GB":
        inward = f"{1 + district % 9}{rng.choice('ABDEFG')}{rng.choice('HJLNPQ')}"
        postal = f"{stem}{1 + district % 20} {inward}"
    else:
        postal = f"{stem}{district % 1000:03d}"
    return Address(number, street, suffix, unit, city, region, postal, country)


def previous_address(seed: int, person_id: int, country: str, noise: NoiseConfig) -> Address | None:
    """Where the person lived before moving within the span, if they moved."""
    if _rng(seed, person_id, SALT_MOVE).random() >= noise.moved:
        return None
    return make_address(seed, person_id, country, salt=SALT_MOVE + 1)


def _typo(text: str, rng: random.Random) -> str:
    letters = [i for i, c in enumerate(text) if c.isalpha()]
    if not letters:
        return text
    i = rng.choice(letters)
    replacement = rng.choice([c for c in "aeiourstn" if c != text[i].lower()])
    return f"{text[:i]}{replacement}{text[i + 1 :]}"


def written(address: Address, rng: random.Random, noise: NoiseConfig) -> dict[str, str | None]:
    """The address as one record writes it: street line(s), city, region, postal code."""
    street = address.street
    if rng.random() < noise.address_typo:
        street = _typo(street, rng)
    if address.country == "DE":
        kind = rng.choice(("straße", "str.", "strasse"))
        line1 = f"{street}{kind} {address.number}"
    elif address.country == "FR":
        line1 = f"{address.number}{rng.choice((' ', ', '))}rue {street}"
    else:
        abbreviations = dict(SUFFIXES)[address.suffix]
        kind = address.suffix if rng.random() < 0.4 else rng.choice(abbreviations)
        line1 = f"{address.number} {street} {kind}"
    line2 = None
    if address.unit:
        where = rng.random()
        if where < 0.5:
            line2 = rng.choice((f"Apt {address.unit}", f"Unit {address.unit}", f"#{address.unit}"))
        elif where < 0.8:
            unit = address.unit
            line1 += rng.choice((f" Apt {unit}", f", Apt. {unit}", f" #{unit}"))
    style = rng.random()
    if style < 0.08:
        line1 = line1.upper()
    elif style < 0.13:
        line1 = line1.lower()
    elif style < 0.16:
        line1 = f"{line1} "
    postal = address.postal_code
    if rng.random() < noise.address_typo / 2:
        digits = [i for i, c in enumerate(postal) if c.isdigit()]
        i = rng.choice(digits)
        postal = f"{postal[:i]}{(int(postal[i]) + rng.randrange(1, 10)) % 10}{postal[i + 1 :]}"
    elif rng.random() < 0.1:
        postal = postal.replace(" ", "") if " " in postal else postal
    return {
        "line1": line1,
        "line2": line2,
        "city": address.city if rng.random() > 0.05 else address.city.upper(),
        "region": address.region or None,
        "postal_code": postal,
        "country": address.country,
    }


COUNTRY_NAMES = {"US": "United States", "GB": "United Kingdom", "DE": "Germany", "FR": "France"}
STATE_NAMES = {
    "NY": "New York",
    "IL": "Illinois",
    "CA": "California",
    "OR": "Oregon",
    "MA": "Massachusetts",
    "NV": "Nevada",
    "HI": "Hawaii",
}


def on_record(home: Address | None, previous: Address | None, rng: random.Random) -> Address | None:
    """The home a record holds: a mover's records are half of them from before the move."""
    if previous is not None and rng.random() < 0.5:
        return previous
    return home
