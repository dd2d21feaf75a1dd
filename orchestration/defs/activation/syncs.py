"""The sync assets, one per declaration found in the dbt manifest."""

from dagster import Definitions

from orchestration.defs.activation.declarations import load_declarations
from orchestration.defs.activation.factory import sync_asset
from orchestration.defs.dbt.assets import omnihub_dbt_models
from orchestration.defs.dbt.project import dbt_project

defs = Definitions(
    assets=[
        sync_asset(declaration, omnihub_dbt_models)
        for declaration in load_declarations(dbt_project.manifest_path)
    ]
)
