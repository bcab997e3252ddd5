"""The warehouse engines: each registered once, here. The settings union, the URL form and ``open_warehouse``
are derived from this list, so an engine is added with its folder (``warehouse/<engine>/``) and one line below.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import reduce
from operator import or_
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

from pydantic import Field

from flightpipe.warehouse.connection import WarehouseConnection
from flightpipe.warehouse.duckdb.settings import DuckDBWarehouseSettings
from flightpipe.warehouse.postgres.settings import PostgresWarehouseSettings
from flightpipe.warehouse.redshift.settings import RedshiftWarehouseSettings


class WarehouseRegistry:
    """Engines by ``type`` tag, and by URL scheme."""

    def __init__(self) -> None:
        self._engines: dict[str, type[WarehouseConnection]] = {}

    def register(self, engine: type[WarehouseConnection]) -> type[WarehouseConnection]:
        name = engine.type_name()
        if name in self._engines:
            raise ValueError(f"warehouse type {name!r} is registered already ({self._engines[name].__name__})")
        taken = {s for other in self._engines.values() for s in other.url_schemes} & set(engine.url_schemes)
        if taken:
            raise ValueError(f"URL scheme(s) {', '.join(sorted(taken))} already select another warehouse type")
        self._engines[name] = engine
        return engine

    def unregister(self, name: str) -> None:
        del self._engines[name]

    def __iter__(self) -> Iterator[type[WarehouseConnection]]:
        return iter(self._engines.values())

    def types(self) -> tuple[str, ...]:
        """The ``type`` tags, in registration order."""
        return tuple(self._engines)

    def settings_model(self, name: str) -> type[WarehouseConnection]:
        return self._engines[name]

    def settings_union(self) -> Any:
        """``Annotated[A | B | ..., Field(discriminator="type")]`` over the engines registered now."""
        return Annotated[reduce(or_, self._engines.values()), Field(discriminator="type")]

    def engine_for_scheme(self, scheme: str) -> type[WarehouseConnection] | None:
        return next((e for e in self._engines.values() if scheme in e.url_schemes), None)

    def coerce(self, value: Any) -> Any:
        """Turn a URL (a string, or ``{"url": ...}`` plus other keys) into the table form the union validates."""
        if isinstance(value, str):
            return self.settings_from_url(value)
        if isinstance(value, dict) and "url" in value:
            rest = {k: v for k, v in value.items() if k != "url"}
            from_url = self.settings_from_url(str(value["url"]))
            if "type" in rest and rest["type"] != from_url["type"]:
                raise ValueError(f"url says type {from_url['type']!r} but type is {rest['type']!r}; drop one of them")
            return {**from_url, **rest}
        return value

    def settings_from_url(self, url: str) -> dict[str, Any]:
        """The table form of a warehouse URL; its scheme picks the engine (``duckdb:///path``, ...)."""
        parts = urlsplit(url)
        engine = self.engine_for_scheme(parts.scheme)
        if engine is None:
            allowed = ", ".join(e.url_example for e in self._engines.values() if e.url_example)
            raise ValueError(
                f"unknown warehouse URL scheme {parts.scheme + '://' if parts.scheme else url!r}; allowed: {allowed}"
            )
        if parts.password is not None:
            # A URL names where the warehouse is; a password in it would end up in files and error messages.
            raise ValueError(
                "the warehouse URL must not contain a password; put it in the environment variable named by "
                "warehouse.password_env (default PGPASSWORD) or in Secrets Manager (warehouse.secret_arn)"
            )
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        return {"type": engine.type_name(), **engine.fields_from_url(parts, query)}


#: The engines flightpipe knows. One line per engine.
WAREHOUSES = WarehouseRegistry()
WAREHOUSES.register(DuckDBWarehouseSettings)
WAREHOUSES.register(PostgresWarehouseSettings)
WAREHOUSES.register(RedshiftWarehouseSettings)
