"""Fixtures shared by every tier: real warehouses (DuckDB file, PostgreSQL database)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from warehouse import Warehouse

PG_URL = os.environ.get(
    "OMNIHUB_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture
def duckdb_warehouse(tmp_path: Path) -> Iterator[Warehouse]:
    wh = Warehouse.duckdb(tmp_path / "warehouse.duckdb")
    yield wh
    wh.dispose()


def _pg_admin_engine() -> sa.Engine:
    return sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


@pytest.fixture
def pg_warehouse() -> Iterator[Warehouse]:
    """A throwaway PostgreSQL database, dropped afterwards; skipped where no server runs."""
    admin = _pg_admin_engine()
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("select 1"))
    except sa.exc.OperationalError as exc:
        pytest.skip(
            f"PostgreSQL not reachable at OMNIHUB_TEST_PG_URL={PG_URL.split('@')[-1]} "
            f"({type(exc.orig).__name__}); start it or point OMNIHUB_TEST_PG_URL at one"
        )
    name = f"omnihub_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'create database "{name}"'))
    url = sa.engine.make_url(PG_URL).set(database=name)
    wh = Warehouse(url=url.render_as_string(hide_password=False))
    try:
        yield wh
    finally:
        wh.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'drop database if exists "{name}" with (force)'))
        admin.dispose()


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_warehouse(request: pytest.FixtureRequest) -> Warehouse:
    """Runs a test once on DuckDB and once on PostgreSQL."""
    fixture = "duckdb_warehouse" if request.param == "duckdb" else "pg_warehouse"
    return request.getfixturevalue(fixture)
