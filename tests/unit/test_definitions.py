"""The code location loads, and its asset graph is the reviewed one."""

from __future__ import annotations

import json
import os
from pathlib import Path

from orchestration.definitions import defs


def _graph() -> dict[str, tuple[str | None, list[str]]]:
    graph = defs.resolve_asset_graph()
    return {
        key.to_user_string(): (
            graph.get(key).group_name,
            sorted(p.to_user_string() for p in graph.get(key).parent_keys),
        )
        for key in graph.get_all_asset_keys()
    }


SNAPSHOT = Path(__file__).with_name("asset_graph.snapshot.json")


def test_asset_graph_snapshot() -> None:
    """A change to the graph shows up as a reviewable diff of the snapshot file.
    After an intended change, rewrite it:
    OMNIHUB_UPDATE_SNAPSHOT=1 .venv/bin/pytest tests/unit/test_definitions.py"""
    graph = {
        key: {"group": group, "parents": parents} for key, (group, parents) in _graph().items()
    }
    if os.environ.get("OMNIHUB_UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(dict(sorted(graph.items())), indent=1) + "\n")
    assert graph == json.loads(SNAPSHOT.read_text())


def test_dbt_tests_are_blocking_checks_unless_severity_warn() -> None:
    from orchestration.defs.dbt.project import dbt_project

    manifest = json.loads(dbt_project.manifest_path.read_text())
    warn_only = {
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test" and node["config"].get("severity") == "warn"
    }
    graph = defs.resolve_asset_graph()
    checks = list(graph.asset_check_keys)
    assert checks and warn_only
    for check in checks:
        assert graph.get_check_spec(check).blocking == (check.name not in warn_only), check


def test_daily_job_selects_everything() -> None:
    job = defs.resolve_job_def("daily")
    assert len(job.asset_layer.selected_asset_keys) == len(_graph())
