"""Warehouse access (DuckDB or PostgreSQL) and raw landing; no Dagster, no vendors."""

from warehouse.connection import Warehouse, WarehouseBusy, data_dir
from warehouse.landing import LandedRecord, Landing, QuarantinedRecord, raw_table

__all__ = [
    "LandedRecord",
    "Landing",
    "QuarantinedRecord",
    "Warehouse",
    "WarehouseBusy",
    "data_dir",
    "raw_table",
]
