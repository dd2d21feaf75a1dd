"""The daily-job benchmark's phase figures come from a real run's recorded step stats."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import dagster as dg

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "daily_job.py"


def _benchmark_module():
    spec = importlib.util.spec_from_file_location("daily_job_benchmark", BENCHMARK)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dg.asset(key_prefix=["raw", "shopify"])
def orders() -> None:
    time.sleep(0.2)


@dg.asset(key_prefix=["syncs", "klaviyo"], deps=[orders])
def list_members() -> None:
    time.sleep(0.1)


def test_phase_seconds_are_summed_per_layer_from_the_run() -> None:
    daily_job = _benchmark_module()
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([orders, list_members], instance=instance)
    assert result.success

    phases = daily_job._step_seconds(instance, result.run_id)

    assert set(phases) == {"ingest", "sync"}
    assert phases["ingest"] >= 0.2  # the step slept that long
    assert phases["sync"] >= 0.1
