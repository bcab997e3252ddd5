"""A PostgreSQL server (``postgresql://user@host:port/dbname``; psycopg 3, extra ``postgres``)."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import SplitResult, unquote

from pydantic import Field

from flightpipe.core.paths import DataPaths
from flightpipe.warehouse.connection import WarehouseConnection

if TYPE_CHECKING:
    from flightpipe.warehouse.postgres.adapter import PostgresWarehouse


class PostgresWarehouseSettings(WarehouseConnection):
    """A PostgreSQL server (psycopg 3; extra ``postgres``)."""

    type: Literal["postgres"] = "postgres"
    host: str = Field(default="localhost", description="Host name, IP address, or a socket directory.")
    port: int = Field(default=5432, ge=1, le=65535)
    dbname: str = Field(default="flightpipe", min_length=1)
    user: str = Field(default="flightpipe", min_length=1)
    password_env: str = Field(
        default="PGPASSWORD", description="Name of the environment variable that holds the password (if any)."
    )
    secret_arn: str | None = Field(
        default=None, description="Secrets Manager secret with the password (JSON with 'password', or plain text)."
    )
    connect_timeout_s: int = Field(default=10, ge=1, le=600)
    lock_timeout_s: float = Field(default=600.0, gt=0, description="How long a loader waits for another one.")

    url_schemes = ("postgresql", "postgres")
    url_example = "postgresql://user@host:5432/dbname"

    @classmethod
    def fields_from_url(cls, url: SplitResult, query: dict[str, str]) -> dict[str, Any]:
        found: dict[str, Any] = dict(query)
        if url.hostname:
            found["host"] = url.hostname
        if url.port:
            found["port"] = url.port
        if url.username:
            found["user"] = unquote(url.username)
        if url.path.strip("/"):
            found["dbname"] = unquote(url.path.strip("/"))
        return found

    @classmethod
    def adapter(cls) -> builtins.type[PostgresWarehouse]:
        from flightpipe.warehouse.postgres.adapter import PostgresWarehouse

        return PostgresWarehouse

    def open(self, paths: DataPaths, *, read_only: bool = False) -> PostgresWarehouse:
        return self.adapter()(self, read_only=read_only)
