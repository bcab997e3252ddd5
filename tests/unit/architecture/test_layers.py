"""The package tree is the data flow: a module imports only from its own layer or the layers below it.

Layers, lowest first. ``config`` is the composition root: it composes the settings sections the packages below
it define, and only ``pipeline``, ``aws`` and ``cli`` (the runtimes and the command line) may read it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[3] / "src" / "flightpipe"

LAYERS: list[str] = [
    "core",
    "reference",
    "sources",
    "quality",
    "warehouse",
    "stages",
    "state",
    "monitoring",
    "report",
    "config",
    "pipeline",
    "aws",
    "ui",
    "cli",
]

#: The real sources: none of them may import the simulator (the simulator may import reference data).
REAL_SOURCE_PACKAGES = ("aviationstack", "aerodatabox", "opensky")


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name == "flightpipe" or name.startswith("flightpipe.")}


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) < 2:
        return None
    return LAYERS.index(parts[1]) if parts[1] in LAYERS else None


def _all_imports() -> list[tuple[str, str]]:
    return [(_module_name(path), imported) for path in sorted(SRC.rglob("*.py")) for imported in sorted(_imports(path))]


def test_every_top_level_module_and_package_has_a_layer() -> None:
    names = {p.stem if p.is_file() else p.name for p in SRC.iterdir() if p.suffix == ".py" or p.is_dir()}
    unplaced = sorted(n for n in names - {"__init__", "__pycache__", "__main__"} if n not in LAYERS)
    assert unplaced == []


def test_no_module_imports_from_a_layer_above_it() -> None:
    upward = []
    for importer, imported in _all_imports():
        own, target = _layer(importer), _layer(imported)
        if own is not None and target is not None and target > own:
            upward.append(f"{importer} ({LAYERS[own]}) imports {imported} ({LAYERS[target]})")
    assert upward == []


@pytest.mark.parametrize("api", REAL_SOURCE_PACKAGES)
def test_a_real_source_never_imports_the_simulator(api: str) -> None:
    offending = [
        (importer, imported)
        for importer, imported in _all_imports()
        if importer.startswith(f"flightpipe.sources.{api}") and imported.startswith("flightpipe.sources.simulated")
    ]
    assert offending == []
