"""Sync declarations, read from the dbt manifest (`meta.omnihub` on a model).

Adding an audience is one SQL file and a few lines of YAML: the declaration
below is everything the activation layer needs to build its assets.

    meta:
      omnihub:
        purpose: promotion            # promotion | service | status | personalization | suppression
        suppressions: [suppress_open_ticket_promo_hold]   # lists the model's SQL excludes
        syncs:
          - destination: klaviyo      # connectors/<destination>/destination.py
            object: list              # list | custom_audience | customer_group | customer_tag | ...
            name: omnihub-cart-abandoners
            mode: mirror              # mirror | add_only | upsert
            key: customer_id          # the column naming a member
            fields: [email, abandoned_products]
            suppressions: []          # more lists for this sync only
            split_by: product_sku     # optional: one destination object per value

A declaration that cannot work fails loudly at load, naming the model: the
code location does not load with a sync that would send the wrong people.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_MODES = ("mirror", "add_only", "upsert")
_PURPOSES = ("promotion", "service", "status", "personalization", "suppression")


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
    purpose: str = "promotion"
    model_suppressions: tuple[str, ...] = field(default_factory=tuple)
    """Suppression models the audience's SQL already excludes (checked against
    its dependencies); the engine applies them again."""
    sync_suppressions: tuple[str, ...] = field(default_factory=tuple)
    """Suppression models that apply to this sync only."""
    split_by: str | None = None

    @property
    def sync_name(self) -> str:
        """Stable identity of this sync in state and audit tables."""
        return f"{self.model}__{self.destination}__{self.object}__{self.name}"

    @property
    def suppressions(self) -> tuple[str, ...]:
        """Every suppression list this sync declares (the engine adds its own defaults)."""
        return tuple(dict.fromkeys([*self.model_suppressions, *self.sync_suppressions]))

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the sync reads from the model."""
        wanted = ["customer_id", self.key, *self.fields]
        if self.split_by:
            wanted.append(self.split_by)
        return tuple(dict.fromkeys(wanted))


def _list(model: str, raw: Any, what: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise DeclarationError(f"model {model}: {what} must be a list of names")
    return tuple(raw)


def _parse(
    node: dict[str, Any], omnihub: dict[str, Any], raw: dict[str, Any], models: dict[str, Any]
) -> SyncDeclaration:
    model = node["name"]
    missing = [k for k in ("destination", "object", "name", "key") if not raw.get(k)]
    if missing:
        raise DeclarationError(f"model {model}: sync declaration lacks {', '.join(missing)}")
    mode = raw.get("mode", "mirror")
    if mode not in _MODES:
        raise DeclarationError(f"model {model}: mode {mode!r} is not one of {', '.join(_MODES)}")
    purpose = omnihub.get("purpose", "promotion")
    if purpose not in _PURPOSES:
        raise DeclarationError(
            f"model {model}: purpose {purpose!r} is not one of {', '.join(_PURPOSES)}"
        )
    model_suppressions = _list(model, omnihub.get("suppressions"), "meta.omnihub.suppressions")
    sync_suppressions = _list(model, raw.get("suppressions"), "a sync's suppressions")
    for name in (*model_suppressions, *sync_suppressions):
        if name not in models:
            raise DeclarationError(f"model {model}: suppression list {name!r} is not a model")
    # The SQL must exclude what the YAML says it does: defence in depth only
    # works if the first line of defence is really there.
    depends_on = {dep.rsplit(".", 1)[-1] for dep in node.get("depends_on", {}).get("nodes", [])}
    not_excluded = [name for name in model_suppressions if name not in depends_on]
    if not_excluded:
        raise DeclarationError(
            f"model {model}: declares suppressions {', '.join(not_excluded)} but its SQL does "
            "not read them; exclude them with {{ not_suppressed([...]) }}"
        )
    columns = set(node.get("columns", {}))
    declaration = SyncDeclaration(
        model=model,
        schema=node["schema"],
        relation=f"{node['schema']}.{node.get('alias') or model}",
        destination=raw["destination"],
        object=raw["object"],
        name=str(raw["name"]),
        mode=mode,
        key=raw["key"],
        fields=tuple(raw.get("fields", [])),
        purpose=purpose,
        model_suppressions=model_suppressions,
        sync_suppressions=sync_suppressions,
        split_by=raw.get("split_by"),
    )
    unknown = [c for c in declaration.columns if columns and c not in columns]
    if unknown:
        raise DeclarationError(
            f"model {model}: sync declaration names columns the model does not document: "
            f"{', '.join(unknown)} (every synced model needs customer_id, the key of the "
            "consent and suppression gate)"
        )
    return declaration


def load_declarations(manifest_path: Path) -> list[SyncDeclaration]:
    manifest = json.loads(Path(manifest_path).read_text())
    models = {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node.get("resource_type") == "model"
    }
    found: list[SyncDeclaration] = []
    for node in models.values():
        meta = node.get("config", {}).get("meta") or node.get("meta") or {}
        omnihub = meta.get("omnihub") or {}
        for raw in omnihub.get("syncs", []):
            found.append(_parse(node, omnihub, raw, models))
    # One asset per (model, destination): syncs/<destination>/<model>.
    pairs = [(d.model, d.destination) for d in found]
    duplicated = sorted({f"{m} -> {d}" for m, d in pairs if pairs.count((m, d)) > 1})
    if duplicated:
        raise DeclarationError(
            f"a model syncs to one destination at most once: {', '.join(duplicated)}"
        )
    return sorted(found, key=lambda d: d.sync_name)
