"""Per-concern Definitions. Each package below merges the `defs` of its modules,
so adding a platform or a destination adds a file rather than editing a list."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from dagster import Definitions


def merge_submodule_defs(package: ModuleType) -> Definitions:
    """Definitions.merge of every `defs` found in the package's direct submodules."""
    found = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        defs = getattr(module, "defs", None)
        if isinstance(defs, Definitions):
            found.append(defs)
    return Definitions.merge(*found) if found else Definitions()
