"""Dagster resources: thin, lazily-configured wrappers around plain-Python parts.

Resources read the environment when a run starts, never at import, so the code
location loads (and `dagster definitions validate` passes) on a machine where
no platform is configured yet.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from dagster import ConfigurableResource

from warehouse import Landing, Warehouse


class WarehouseResource(ConfigurableResource):
    """The warehouse every asset writes to, as configured by OMNIHUB_* variables.

    DuckDB (default, `OMNIHUB_DUCKDB_PATH`) or PostgreSQL (`OMNIHUB_WAREHOUSE_URL`).
    """

    def get(self) -> Warehouse:
        return Warehouse.from_env()

    def landing(self) -> Landing:
        return Landing(self.get())

    @contextmanager
    def dbt_environment(self) -> Iterator[Warehouse]:
        """Point dbt (which reads only env vars) at this warehouse, and hold the
        DuckDB writer lock while dbt runs so no other run trips over the file."""
        warehouse = self.get()
        overrides = {**warehouse.dbt_env(), "OMNIHUB_DBT_TARGET": warehouse.dbt_target()}
        saved = {key: os.environ.get(key) for key in overrides}
        os.environ.update(overrides)
        try:
            with warehouse.exclusive():
                yield warehouse
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
