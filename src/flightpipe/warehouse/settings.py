"""Warehouse settings: a discriminated union on ``type`` (duckdb | postgres | redshift), or one URL.

``warehouse = "postgresql://loader@db.internal:5432/flights"`` in ``flightpipe.toml`` (or
``FLIGHTPIPE__WAREHOUSE__URL``) is shorthand for the table form; the URL's scheme picks the type. A URL names
*where* the warehouse is, never a password: passwords come from an environment variable or Secrets Manager,
so a config file can be committed and nothing secret is ever echoed back in an error.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import BaseModel, Field, model_validator

from flightpipe.core.settings_base import StrictModel

#: URL scheme -> warehouse type.
URL_SCHEMES: dict[str, str] = {
    "duckdb": "duckdb",
    "postgresql": "postgres",
    "postgres": "postgres",
    "redshift-data": "redshift",
}
WAREHOUSE_TYPES = ("duckdb", "postgres", "redshift")


class DuckDBWarehouseSettings(StrictModel):
    """The embedded default: one DuckDB file."""

    type: Literal["duckdb"] = "duckdb"
    path: str | None = Field(default=None, description="Database file; default <data_dir>/warehouse.duckdb.")


class PostgresWarehouseSettings(StrictModel):
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


class RedshiftWarehouseSettings(StrictModel):
    """Redshift (Serverless workgroup or provisioned cluster) through the Data API (boto3; extra ``aws``)."""

    type: Literal["redshift"] = "redshift"
    workgroup: str | None = Field(default=None, description="Redshift Serverless workgroup name.")
    cluster_identifier: str | None = Field(default=None, description="Provisioned cluster (instead of workgroup).")
    database: str = Field(default="dev", min_length=1)
    secret_arn: str | None = Field(default=None, description="Secrets Manager secret; without it IAM credentials.")
    db_user: str | None = Field(default=None, description="Database user for IAM auth on a provisioned cluster.")
    region: str | None = Field(default=None, description="AWS region; default from the environment.")
    iam_role: str | None = Field(default=None, description="IAM role ARN COPY uses to read the processed Parquet.")
    processed_url: str | None = Field(
        default=None,
        description="s3:// root of the data (raw/, processed/...); default data_dir when that is an s3:// URL.",
    )
    poll_interval_s: float = Field(default=0.5, gt=0, le=60)
    statement_timeout_s: float = Field(default=900.0, gt=0, description="Bounded wait for one statement or batch.")

    @model_validator(mode="after")
    def _one_target(self) -> RedshiftWarehouseSettings:
        if (self.workgroup is None) == (self.cluster_identifier is None):
            raise ValueError("set exactly one of workgroup (Serverless) or cluster_identifier (provisioned)")
        if self.cluster_identifier is not None and self.secret_arn is None and self.db_user is None:
            raise ValueError("a provisioned cluster needs secret_arn or db_user (IAM temporary credentials)")
        if self.processed_url is not None and not self.processed_url.startswith("s3://"):
            raise ValueError(f"processed_url must be an s3:// URL (COPY reads from S3), got {self.processed_url!r}")
        return self


WarehouseSettings = Annotated[
    DuckDBWarehouseSettings | PostgresWarehouseSettings | RedshiftWarehouseSettings,
    Field(discriminator="type"),
]


def coerce_warehouse(value: Any) -> Any:
    """Turn a URL (a string, or ``{"url": ...}`` plus other keys) into the table form the union validates."""
    if isinstance(value, str):
        return settings_from_url(value)
    if isinstance(value, dict) and "url" in value:
        rest = {k: v for k, v in value.items() if k != "url"}
        from_url = settings_from_url(str(value["url"]))
        if "type" in rest and rest["type"] != from_url["type"]:
            raise ValueError(f"url says type {from_url['type']!r} but type is {rest['type']!r}; drop one of them")
        return {**from_url, **rest}
    return value


def settings_from_url(url: str) -> dict[str, Any]:
    """``duckdb:///path``, ``postgresql://user@host:port/db``, ``redshift-data://workgroup/database``."""
    parts = urlsplit(url)
    kind = URL_SCHEMES.get(parts.scheme)
    if kind is None:
        raise ValueError(
            f"unknown warehouse URL scheme {parts.scheme + '://' if parts.scheme else url!r}; allowed: "
            "duckdb:///path/to/file.duckdb, postgresql://user@host:5432/dbname, redshift-data://workgroup/database"
        )
    if parts.password is not None:
        raise ValueError(
            "the warehouse URL must not contain a password; put it in the environment variable named by "
            "warehouse.password_env (default PGPASSWORD) or in Secrets Manager (warehouse.secret_arn)"
        )
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    if kind == "duckdb":
        # duckdb:///relative/path is ambiguous; like SQLAlchemy, three slashes + path, four for an absolute one.
        path = unquote(parts.netloc + parts.path)
        path = path[1:] if path.startswith("/") else path
        if not path:
            raise ValueError("a duckdb URL needs a file: duckdb:///flightpipe-data/warehouse.duckdb")
        return {"type": "duckdb", "path": path, **query}
    if kind == "postgres":
        found: dict[str, Any] = {"type": "postgres", **query}
        if parts.hostname:
            found["host"] = parts.hostname
        if parts.port:
            found["port"] = parts.port
        if parts.username:
            found["user"] = unquote(parts.username)
        if parts.path.strip("/"):
            found["dbname"] = unquote(parts.path.strip("/"))
        return found
    database = parts.path.strip("/")
    if not parts.hostname or not database:
        raise ValueError(f"a Redshift URL is redshift-data://<workgroup>/<database>, got {url!r}")
    return {"type": "redshift", "workgroup": parts.netloc, "database": database, **query}


def settings_model(type_: str) -> type[BaseModel]:
    models: dict[str, type[BaseModel]] = {
        "duckdb": DuckDBWarehouseSettings,
        "postgres": PostgresWarehouseSettings,
        "redshift": RedshiftWarehouseSettings,
    }
    return models[type_]
