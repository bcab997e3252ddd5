"""Redshift through the Data API (``redshift-data://workgroup/database``; boto3, extra ``aws``)."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import SplitResult

from pydantic import Field, model_validator

from flightpipe.core.paths import DataPaths
from flightpipe.warehouse.connection import WarehouseConnection

if TYPE_CHECKING:
    from flightpipe.warehouse.redshift.adapter import RedshiftWarehouse


class RedshiftWarehouseSettings(WarehouseConnection):
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

    url_schemes = ("redshift-data",)
    url_example = "redshift-data://workgroup/database"

    @model_validator(mode="after")
    def _one_target(self) -> RedshiftWarehouseSettings:
        if (self.workgroup is None) == (self.cluster_identifier is None):
            raise ValueError("set exactly one of workgroup (Serverless) or cluster_identifier (provisioned)")
        if self.cluster_identifier is not None and self.secret_arn is None and self.db_user is None:
            raise ValueError("a provisioned cluster needs secret_arn or db_user (IAM temporary credentials)")
        if self.processed_url is not None and not self.processed_url.startswith("s3://"):
            raise ValueError(f"processed_url must be an s3:// URL (COPY reads from S3), got {self.processed_url!r}")
        return self

    @classmethod
    def fields_from_url(cls, url: SplitResult, query: dict[str, str]) -> dict[str, Any]:
        database = url.path.strip("/")
        if not url.hostname or not database:
            raise ValueError(f"a Redshift URL is redshift-data://<workgroup>/<database>, got {url.geturl()!r}")
        return {"workgroup": url.netloc, "database": database, **query}

    @classmethod
    def adapter(cls) -> builtins.type[RedshiftWarehouse]:
        from flightpipe.warehouse.redshift.adapter import RedshiftWarehouse

        return RedshiftWarehouse

    def open(self, paths: DataPaths, *, read_only: bool = False) -> RedshiftWarehouse:
        # The Data API has no read-only session; COPY reads the processed Parquet under an s3:// data_dir.
        data_dir = paths.data_dir
        return self.adapter()(self, data_url=data_dir if "://" in data_dir else None)
