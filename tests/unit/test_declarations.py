"""Sync declarations: the README's "Adding an audience" works as written, and a
declaration that would send the wrong people does not load."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.defs.activation.declarations import DeclarationError, load_declarations

ROOT = Path(__file__).resolve().parents[2]


def _readme_example() -> dict[str, str]:
    """The SQL and YAML blocks of the README section, keyed by the path in their first line."""
    section = (ROOT / "README.md").read_text().split("## Adding an audience", 1)[1]
    section = section.split("\n## ", 1)[0]
    files = {}
    for block in re.findall(r"```(?:sql|yaml)\n(.*?)```", section, re.S):
        first, _, body = block.partition("\n")
        files[first.split(maxsplit=1)[1].strip()] = body
    return files


def _parse(project: Path) -> Path:
    dbt = Path(sys.executable).with_name("dbt")
    done = subprocess.run(
        [str(dbt), "parse", "--project-dir", str(project), "--profiles-dir", str(project)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    return project / "target" / "manifest.json"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    copy = tmp_path / "dbt_project"
    shutil.copytree(
        ROOT / "dbt_project", copy, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
    )
    return copy


def _add(project: Path, files: dict[str, str]) -> None:
    for path, body in files.items():
        target = project.parent / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body)


def test_the_readme_example_adds_two_syncs(project: Path) -> None:
    files = _readme_example()
    assert set(files) == {
        "dbt_project/models/marts/audiences/high_value_lapsed.sql",
        "dbt_project/models/marts/audiences/high_value_lapsed.yml",
    }
    _add(project, files)
    found = [d for d in load_declarations(_parse(project)) if d.model == "high_value_lapsed"]
    assert [(d.destination, d.object, d.mode) for d in found] == [
        ("klaviyo", "list", "mirror"),
        ("meta_ads", "custom_audience", "mirror"),
    ]
    assert found[0].suppressions == ("suppress_open_ticket_promo_hold",)
    assert "customer_id" in found[0].columns


def test_a_suppression_the_sql_does_not_exclude_is_refused(project: Path) -> None:
    files = _readme_example()
    sql = "dbt_project/models/marts/audiences/high_value_lapsed.sql"
    files[sql] = files[sql].replace("['suppress_open_ticket_promo_hold']", "[]")
    _add(project, files)
    with pytest.raises(DeclarationError, match="does not read them"):
        load_declarations(_parse(project))


def test_an_unknown_suppression_list_is_refused(project: Path) -> None:
    files = _readme_example()
    yml = "dbt_project/models/marts/audiences/high_value_lapsed.yml"
    files[yml] = files[yml].replace("suppressions: []", "suppressions: [suppress_nobody]")
    _add(project, files)
    with pytest.raises(DeclarationError, match="suppress_nobody"):
        load_declarations(_parse(project))
