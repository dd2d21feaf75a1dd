"""A sync run in a process of its own, for tests that SIGKILL it mid-batch:
`main` as a forked process's target, or

    python -m tests.integration.sync_child CONFIG.json

CONFIG names the destination case (tests/integration/sync_faults.py), the
rows, the emulator's environment and the DuckDB warehouse file. The process
does exactly what a Dagster sync asset does: the real engine against the real
warehouse and the emulator, nothing stubbed, so killing it leaves what a
killed worker would leave.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from connectors.sync.engine import run_sync
from tests.integration.sync_faults import CASES
from warehouse import Warehouse


def main(config_path: str | Path) -> None:
    config = json.loads(Path(config_path).read_text())
    case = CASES[config["case"]]
    warehouse = Warehouse.duckdb(config["warehouse"])
    run_sync(case.spec, config["rows"], case.destination(config["env"]), warehouse)
    print("finished", flush=True)  # the test fails if the kill came too late


if __name__ == "__main__":
    main(sys.argv[1])
