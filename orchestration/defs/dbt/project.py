"""The dbt project as Dagster sees it: where it lives and how its nodes are named."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import AssetKey, AssetSpec
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

from orchestration import freshness

DBT_PROJECT_DIR = Path(__file__).resolve().parents[3] / "dbt_project"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# In `dagster dev` this runs `dbt parse` so the manifest is always current;
# elsewhere (tests, deployed code) `make manifest` has produced it.
dbt_project.prepare_if_dev()

# Folder under models/ -> Dagster group (the layers of the asset graph).
_GROUP_BY_FOLDER = {
    "staging": "staging",
}


class OmnihubDbtTranslator(DagsterDbtTranslator):
    """Asset keys follow the project's folders (layer / domain / model), so the
    graph reads raw/<platform>/<stream> -> staging/<platform>/<model> ->
    marts/<domain>/<model>; sources map onto the ingest assets via their
    `meta.dagster.asset_key`."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] != "model":
            return super().get_asset_key(dbt_resource_props)
        folders = list(dbt_resource_props["fqn"][1:-1])
        return AssetKey([*folders, dbt_resource_props["name"]])

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: Any
    ) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["nodes"].get(unique_id) or {}
        if node.get("resource_type") == "model" and node.get("name") in freshness.WATCHED_MODELS:
            spec = spec.replace_attributes(freshness_policy=freshness.DAILY)
        return spec

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "config"  # files merchandising and marketing maintain (seeds/)
        if dbt_resource_props["resource_type"] != "model":
            return super().get_group_name(dbt_resource_props)
        folders = list(dbt_resource_props["fqn"][1:-1])
        if not folders:
            return "marts"
        if folders[0] in ("marts", "intermediate") and len(folders) > 1:
            return folders[1]  # the domain: identity, customers, audiences, ...
        return _GROUP_BY_FOLDER.get(folders[0], folders[0])


translator = OmnihubDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
