"""What every engine's settings section is: a connection config that knows its URL form and builds its adapter.

An engine lives in one folder, ``warehouse/<engine>/``: ``settings.py`` (a ``WarehouseConnection``: the ``type``
tag, its fields, the URL schemes it accepts and how a URL maps to its fields) and ``adapter.py`` (the thin
``SqlWarehouse``). ``warehouse.registry`` lists the engines, one line each; the settings union, the URL coercion
and ``open_warehouse`` are derived from that list (SQLMesh's connection configs work the same way).

The adapter is imported only when it is asked for: the settings are read everywhere (the Lambda functions
too), and an adapter imports its driver, which not every runtime ships (the Lambda layer has no DuckDB).
"""

from __future__ import annotations

import builtins
from abc import abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import SplitResult

from flightpipe.core.paths import DataPaths
from flightpipe.core.settings_base import StrictModel

if TYPE_CHECKING:
    from flightpipe.warehouse.base import Capabilities, SqlWarehouse


class WarehouseConnection(StrictModel):
    """The settings of one engine (``warehouse = {type = "...", ...}`` or a URL whose scheme names it)."""

    #: The tag of the discriminated union; each engine narrows it to ``Literal["<engine>"] = "<engine>"``.
    type: str

    #: URL schemes that select this engine (``postgresql``, ``postgres``).
    url_schemes: ClassVar[tuple[str, ...]] = ()
    #: The URL form, shown when a URL's scheme names no engine.
    url_example: ClassVar[str] = ""

    @classmethod
    def type_name(cls) -> str:
        """The ``type`` tag, read from the field's default."""
        default = cls.model_fields["type"].default
        if not isinstance(default, str):
            raise TypeError(f"{cls.__name__}.type needs a default: type: Literal['name'] = 'name'")
        return default

    @classmethod
    def fields_from_url(cls, url: SplitResult, query: dict[str, str]) -> dict[str, Any]:
        """The fields a URL of this engine names (``query`` holds its ``?key=value`` pairs); ``type`` is added
        by the caller. The URL has been checked to carry no password."""
        raise NotImplementedError(f"{cls.__name__} has no URL form")

    @classmethod
    @abstractmethod
    def adapter(cls) -> builtins.type[SqlWarehouse]:
        """The adapter class, imported on demand (it imports the engine's driver)."""

    @classmethod
    def capabilities(cls) -> Capabilities:
        """How the engine differs, without connecting (read from the adapter class at each call)."""
        return cls.adapter().capabilities

    @abstractmethod
    def open(self, paths: DataPaths, *, read_only: bool = False) -> SqlWarehouse:
        """Connect. ``read_only``: for queries (an embedded file is opened shared)."""
