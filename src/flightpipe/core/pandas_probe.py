"""Keep pyarrow from importing pandas in flightpipe's own processes.

flightpipe never uses pandas, but pyarrow imports it (about 0.2-0.8 s of CPU) the first time it converts a
Python value, only to ask whether the value is a pandas object. The command line and the transform's worker
processes install :class:`NoPandas` unless something imported pandas already: pandas is then "not installed" for
that process, so pyarrow's probe fails at once and pyarrow carries on without it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType


class NoPandas(MetaPathFinder):
    """A finder that refuses ``pandas`` (and only pandas)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname == "pandas":
            raise ModuleNotFoundError("flightpipe's processes do not use pandas", name=fullname)
        return None


def skip_pyarrow_pandas_probe() -> None:
    """Install :class:`NoPandas` once, unless pandas is already imported (a caller that uses it keeps it)."""
    if "pandas" not in sys.modules and not any(isinstance(f, NoPandas) for f in sys.meta_path):
        sys.meta_path.insert(0, NoPandas())
