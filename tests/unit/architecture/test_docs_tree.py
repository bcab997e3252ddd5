"""docs/architecture.md stays true to the package: its module table names exactly the modules under src/flightpipe.

A row's first cell names one module or several (each by its whole path under ``src/flightpipe/``, in backticks).
Every ``.py`` file must be named, except an ``__init__.py`` or ``__main__.py`` that holds only a docstring; every
path named must exist.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
SRC = REPO / "src" / "flightpipe"
ARCHITECTURE = REPO / "docs" / "architecture.md"

_MODULE_IN_CELL = re.compile(r"`([\w/]+\.py)`")


def _module_table(markdown: str) -> list[str]:
    """The first cells of the table under ``## Modules``."""
    section = markdown.split("\n## Modules\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    header, rule, *body = rows
    assert header.replace(" ", "").startswith("|module|") and set(rule) <= set("|-: ")
    return [row.split("|")[1] for row in body]


def _names_in_table() -> list[str]:
    cells = _module_table(ARCHITECTURE.read_text(encoding="utf-8"))
    return [name for cell in cells for name in _MODULE_IN_CELL.findall(cell)]


def _only_a_docstring(path: Path) -> bool:
    body = ast.parse(path.read_text(encoding="utf-8")).body
    return all(
        (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
        or (isinstance(node, ast.ImportFrom) and node.module == "__future__")
        for node in body
    )


def _modules_to_document() -> set[str]:
    return {
        path.relative_to(SRC).as_posix()
        for path in SRC.rglob("*.py")
        if not (path.name in {"__init__.py", "__main__.py"} and _only_a_docstring(path))
    }


def test_the_module_table_names_every_module_and_only_modules_that_exist() -> None:
    named = set(_names_in_table())
    on_disk = {path.relative_to(SRC).as_posix() for path in SRC.rglob("*.py")}
    assert sorted(_modules_to_document() - named) == []
    assert sorted(named - on_disk) == []


def test_the_module_table_names_each_module_once() -> None:
    names = _names_in_table()
    assert sorted({name for name in names if names.count(name) > 1}) == []
