"""Sync declarations, read from the dbt manifest (`meta.omnihub.syncs` on a model).

Adding an audience is one SQL file and a few lines of YAML: the declaration
below is everything the activation layer needs to build its asset.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_MODES = ("mirror", "add_only", "upsert")


class DeclarationError(ValueError):
    """A sync declaration in dbt YAML that cannot work; the message names the model."""


@dataclass(frozen=True)
class SyncDeclaration:
    model: str
    schema: str
    relation: str
    destination: str
    object: str
    name: str
    mode: str
    key: str
    fields: tuple[str, ...] = field(default_factory=tuple)

    @property
    def sync_name(self) -> str:
        """Stable identity of this sync in state and audit tables."""
        return f"{self.model}__{self.destination}__{self.object}__{self.name}"


def _parse(node: dict[str, Any], raw: dict[str, Any]) -> SyncDeclaration:
    model = node["name"]
    missing = [k for k in ("destination", "object", "name", "key") if not raw.get(k)]
    if missing:
        raise DeclarationError(f"model {model}: sync declaration lacks {', '.join(missing)}")
    mode = raw.get("mode", "mirror")
    if mode not in _MODES:
        raise DeclarationError(f"model {model}: mode {mode!r} is not one of {', '.join(_MODES)}")
    columns = set(node.get("columns", {}))
    wanted = [raw["key"], *raw.get("fields", [])]
    unknown = [c for c in wanted if columns and c not in columns]
    if unknown:
        raise DeclarationError(
            f"model {model}: sync declaration names columns the model does not document: "
            f"{', '.join(unknown)}"
        )
    return SyncDeclaration(
        model=model,
        schema=node["schema"],
        relation=f"{node['schema']}.{node.get('alias') or model}",
        destination=raw["destination"],
        object=raw["object"],
        name=str(raw["name"]),
        mode=mode,
        key=raw["key"],
        fields=tuple(raw.get("fields", [])),
    )


def load_declarations(manifest_path: Path) -> list[SyncDeclaration]:
    manifest = json.loads(Path(manifest_path).read_text())
    found: list[SyncDeclaration] = []
    for node in manifest["nodes"].values():
        if node.get("resource_type") != "model":
            continue
        meta = node.get("config", {}).get("meta") or node.get("meta") or {}
        for raw in (meta.get("omnihub") or {}).get("syncs", []):
            found.append(_parse(node, raw))
    return sorted(found, key=lambda d: d.sync_name)
