""".env.example lists every variable the code reads (STYLE: repository hygiene)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Set by omnihub itself for dbt (from the warehouse URL), or WSGI request keys.
INTERNAL = re.compile(
    r"^(OMNIHUB_PG_\w+|OMNIHUB_DBT_TARGET|HTTP_\w+|CONTENT_LENGTH|REQUEST_METHOD)$"
)
READS = re.compile(
    r"""(?:environ(?:\.get)?\(?\[?|env\.get\(|env\[|EnvVar\(|env_var\()["']([A-Z][A-Z0-9_]{3,})"""
)


def test_env_example_lists_every_variable_read() -> None:
    read: set[str] = set()
    for folder in (
        "connectors",
        "warehouse",
        "orchestration",
        "dbt_project/models",
        "dbt_project/macros",
    ):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".py", ".sql", ".yml"):
                read |= set(READS.findall(path.read_text()))
    read |= set(READS.findall((ROOT / "dbt_project" / "profiles.yml").read_text()))
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    missing = sorted(v for v in read - listed if not INTERNAL.match(v))
    assert "SHOPIFY_ACCESS_TOKEN" in read and not missing, missing
