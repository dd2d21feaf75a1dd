"""What a destination integration test needs around the real engine: the
relations the gate reads, and the emulator's write log."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from connectors.sync.gate import ALL_LISTS
from sandbox.server import EmulatorServer
from sandbox.store import WorldStore
from warehouse import Warehouse


def gate_relations(wh: Warehouse, customers: Iterable[str]) -> None:
    """`customers.customers` holding `customers`, and every default suppression
    list empty: the gate passes everyone, so a test sees exactly its rows."""
    with wh.transaction() as conn:
        for schema in ("suppressions", "customers"):
            conn.execute(sa.text(f"create schema if not exists {schema}"))
        conn.execute(sa.text("create or replace table customers.customers (customer_id varchar)"))
        for customer in customers:
            conn.execute(sa.text("insert into customers.customers values (:c)"), {"c": customer})
        for name in ALL_LISTS:
            conn.execute(
                sa.text(f"create or replace table suppressions.{name} (customer_id varchar)")
            )


def write_calls(emulator: EmulatorServer, platform: str) -> list[dict]:
    with WorldStore(emulator.world_dir) as world:
        return world.writes(platform)
