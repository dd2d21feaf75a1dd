"""Where Dagster keeps runs, event logs and schedule state: a `dagster.yaml` in
DAGSTER_HOME. SQLite files there by default; PostgreSQL (dagster-postgres) when
OMNIHUB_DAGSTER_PG_URL is set — for teams running the UI, the daemon and runs
on more than one machine, or just keeping history somewhere backed up.

The file names the variable, not its value, so no credential is ever written:

    python -m orchestration.instance            # writes $DAGSTER_HOME/dagster.yaml
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import yaml

PG_URL_ENV = "OMNIHUB_DAGSTER_PG_URL"


def instance_config(env: Mapping[str, str]) -> dict:
    config: dict = {
        # Runs execute in the process that launches them, or on Celery workers
        # (orchestration/executor.py); the run coordinator still queues them.
        "telemetry": {"enabled": False},
        # Every pool (a stream's cursor, a sync's destination state: see
        # orchestration/concurrency.py) admits one step at a time across all runs
        # and workers, unless `dagster instance concurrency set` raises a pool's limit.
        "concurrency": {"pools": {"default_limit": 1}},
    }
    if env.get(PG_URL_ENV):
        if not env[PG_URL_ENV].startswith("postgresql+psycopg2://"):
            # dagster-postgres sends NOTIFY with a bound parameter, which psycopg 3
            # (SQLAlchemy 2.1's default driver for postgresql://) cannot send
            raise ValueError(
                f"{PG_URL_ENV} must name the psycopg2 driver: "
                "postgresql+psycopg2://user:pass@host:5432/dagster"
            )
        config["storage"] = {"postgres": {"postgres_url": {"env": PG_URL_ENV}}}
    return config


def write_dagster_yaml(home: Path, env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    home.mkdir(parents=True, exist_ok=True)
    path = home / "dagster.yaml"
    path.write_text(yaml.safe_dump(instance_config(env), sort_keys=False))
    return path


if __name__ == "__main__":
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        raise SystemExit("set DAGSTER_HOME to the directory Dagster keeps its state in")
    print(f"wrote {write_dagster_yaml(Path(home))}")
