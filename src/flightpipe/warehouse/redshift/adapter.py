"""Redshift (Serverless or provisioned) through the Redshift Data API (boto3 ``redshift-data``; extra ``aws``).

The Data API needs no VPC networking and no driver: IAM (or a Secrets Manager secret) authenticates, and
``batch_execute_statement`` runs a list of statements as ONE transaction. A load is one such batch:

    LOCK the warehouse tables          (one loader at a time; a second batch waits for the first to commit)
    CREATE TEMPORARY TABLE stage_flights; COPY it FROM the partition's Parquet on S3 (IAM_ROLE, SERIALIZETOJSON)
    CREATE TEMPORARY TABLE stage_airports; INSERT the airports the partition mentions
    count, the shared load statements (the ones PostgreSQL runs in the tests), count

Every statement is polled with ``describe_statement`` until FINISHED, for at most ``statement_timeout_s``
(then it is cancelled); FAILED or ABORTED raise ``LoadError`` naming the statement and Redshift's message.
A failed batch is rolled back by Redshift as a whole, so the previous rows stay.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import pyarrow as pa

from flightpipe.core.clock import Clock, utc_now
from flightpipe.core.errors import ConfigError, LoadError
from flightpipe.core.layout import processed_partition
from flightpipe.core.redact import redact
from flightpipe.core.schema import DIM_AIRPORT_SCHEMA, PROCESSED_SCHEMA
from flightpipe.warehouse.base import Capabilities, LoadResult, SqlWarehouse, check_partition
from flightpipe.warehouse.ddl import create_table_sql
from flightpipe.warehouse.dims import dim_airport_rows
from flightpipe.warehouse.loadsql import (
    STAGE_AIRPORTS,
    STAGE_FLIGHTS,
    KeepRows,
    insert_values_sql,
    sql_string,
)
from flightpipe.warehouse.redshift.settings import RedshiftWarehouseSettings
from flightpipe.warehouse.tables import WAREHOUSE_TABLES, TableSpec

DONE = "FINISHED"
FAILED_STATES = ("FAILED", "ABORTED")


@dataclass(frozen=True, slots=True)
class Finished:
    """A finished statement (or batch): its id and the ids of its sub-statements."""

    id: str
    sub_ids: list[str]


class RedshiftWarehouse(SqlWarehouse):
    capabilities: ClassVar[Capabilities] = Capabilities(dialect="redshift", loader_lock="table")

    def __init__(
        self,
        settings: RedshiftWarehouseSettings,
        *,
        data_url: str | None = None,
        client: Any = None,
        tables: Sequence[TableSpec] = WAREHOUSE_TABLES,
        clock: Clock = utc_now,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(tables, clock)
        self.settings = settings
        where = settings.workgroup or settings.cluster_identifier
        self.url = f"redshift-data://{where}/{settings.database}"
        self.data_url = (settings.processed_url or data_url or "").rstrip("/")
        if client is None:
            try:
                import boto3
            except ImportError:
                raise ConfigError("warehouse.type = 'redshift' needs boto3: pip install 'flightpipe[aws]'") from None
            client = boto3.client("redshift-data", region_name=settings.region)
        self._client = client
        self._sleep = sleep
        self._monotonic = monotonic

    def close(self) -> None:
        """The Data API keeps no connection open."""

    # Data API primitives ----------------------------------------------------------------------------------

    def _target(self) -> dict[str, str]:
        s = self.settings
        target = {"Database": s.database}
        if s.workgroup:
            target["WorkgroupName"] = s.workgroup
        else:
            assert s.cluster_identifier is not None
            target["ClusterIdentifier"] = s.cluster_identifier
        if s.secret_arn:
            target["SecretArn"] = s.secret_arn
        elif s.db_user:
            target["DbUser"] = s.db_user
        return target

    def _wait(self, statement_id: str, statements: Sequence[str]) -> Finished:
        deadline = self._monotonic() + self.settings.statement_timeout_s
        while True:
            described = self._client.describe_statement(Id=statement_id)
            status = described["Status"]
            if status == DONE:
                return Finished(statement_id, [sub["Id"] for sub in described.get("SubStatements", [])])
            if status in FAILED_STATES:
                raise LoadError(self._failure_message(described, statements))
            if self._monotonic() >= deadline:
                self._client.cancel_statement(Id=statement_id)
                raise LoadError(
                    f"{self.url}: statement {statement_id} did not finish within "
                    f"{self.settings.statement_timeout_s:.0f} s (last status {status}); it was cancelled"
                )
            self._sleep(self.settings.poll_interval_s)

    def _failure_message(self, described: dict[str, Any], statements: Sequence[str]) -> str:
        status = described["Status"]
        failed = [s for s in described.get("SubStatements", []) if s.get("Status") in FAILED_STATES]
        where = ""
        if failed:
            index = int(str(failed[0]["Id"]).rsplit(":", 1)[-1]) - 1
            head = statements[index].split("\n", 1)[0][:100] if 0 <= index < len(statements) else "?"
            where = f" at statement {index + 1} of {len(statements)} ({head})"
        error = described.get("Error") or (failed[0].get("Error") if failed else None) or "no message"
        return f"{self.url}: Redshift statement {status}{where}: {redact(str(error))}"

    def _run(self, sql: str) -> Finished:
        # WithEvent: the stack's EventBridge rule watches "Redshift Data Statement Status Change", which the Data
        # API only emits for statements sent with it.
        started = self._client.execute_statement(Sql=sql, WithEvent=True, **self._target())
        return self._wait(started["Id"], [sql])

    def _run_batch(self, statements: Sequence[str]) -> Finished:
        started = self._client.batch_execute_statement(Sqls=list(statements), WithEvent=True, **self._target())
        return self._wait(started["Id"], statements)

    def _result(self, statement_id: str) -> list[tuple[Any, ...]]:
        return self._columns_and_result(statement_id)[1]

    def _columns_and_result(self, statement_id: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        rows: list[tuple[Any, ...]] = []
        token: str | None = None
        while True:
            page = self._client.get_statement_result(Id=statement_id, **({"NextToken": token} if token else {}))
            columns = [str(c.get("name", "")) for c in page.get("ColumnMetadata", [])]
            types = [c.get("typeName", "") for c in page.get("ColumnMetadata", [])]
            for record in page["Records"]:
                rows.append(tuple(_value(f, types[i] if i < len(types) else "") for i, f in enumerate(record)))
            token = page.get("NextToken")
            if not token:
                return columns, rows

    def columns_and_rows(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        return self._columns_and_result(self._run(sql).id)

    def execute_script(self, statements: Sequence[str]) -> None:
        # No LOCK here: a first init creates the tables a LOCK would name. Loads take it (load_batch), and so does
        # an init of existing tables (init_batch).
        if statements:
            self._run_batch(statements)

    def init_batch(self, statements: list[str]) -> list[str]:
        # The loaders' LOCK, so an init that changes something waits for a running load and the next loads wait
        # for it; but not on a first init, whose batch creates tables the LOCK would name.
        t = self.load_tables
        creates = {create_table_sql(s, "redshift") for s in (t.fact, t.codeshares, t.airport, t.airline, t.loads)}
        return statements if creates & set(statements) else [self._lock_sql(), *statements]

    def _lock_sql(self) -> str:
        t = self.load_tables  # the tables a load writes (quality results are written apart, in their own batch)
        return "LOCK " + ", ".join(s.name for s in (t.fact, t.codeshares, t.airport, t.airline, t.loads))

    # Load -------------------------------------------------------------------------------------------------

    def partition_url(self, flight_date: dt.date) -> str:
        if not self.data_url.startswith("s3://"):
            raise ConfigError(
                "Redshift loads with COPY from S3: set data_dir to an s3:// URL or warehouse.processed_url"
            )
        return f"{self.data_url}/{processed_partition(flight_date)}"

    def load_batch(
        self, flight_date: dt.date, flights: pa.Table, *, run_id: str, keep: KeepRows | None = None
    ) -> tuple[list[str], int, int]:
        """The batch of one load, and the positions of the count statements before and after."""
        plan = self.load_plan(flight_date, flights, run_id=run_id, keep=keep)
        role = (
            f"IAM_ROLE {sql_string(self.settings.iam_role, 'redshift')}"
            if self.settings.iam_role
            else "IAM_ROLE default"
        )
        batch = [
            self._lock_sql(),
            create_table_sql(TableSpec(STAGE_FLIGHTS, PROCESSED_SCHEMA), "redshift", temporary=True),
            f"COPY {STAGE_FLIGHTS} FROM {sql_string(self.partition_url(flight_date), 'redshift')}"
            f" {role} FORMAT AS PARQUET SERIALIZETOJSON",
            create_table_sql(TableSpec(STAGE_AIRPORTS, DIM_AIRPORT_SCHEMA), "redshift", temporary=True),
        ]
        # batch_execute_statement takes no parameters, so the airports are literals.
        batch.extend(insert_values_sql(STAGE_AIRPORTS, dim_airport_rows(flights), "redshift"))
        batch.append(plan.count_before)
        before = len(batch) - 1
        batch.extend(plan.apply)
        batch.extend([plan.count_fact, plan.count_codeshares])
        return batch, before, len(batch) - 2

    def load_flight_date(
        self, flight_date: dt.date, flights: pa.Table, *, run_id: str, keep: KeepRows | None = None
    ) -> LoadResult:
        check_partition(flight_date, flights)
        self.ensure_initialised()
        batch, before, after = self.load_batch(flight_date, flights, run_id=run_id, keep=keep)
        try:
            finished = self._run_batch(batch)
        except LoadError as exc:
            raise LoadError(f"loading flight date {flight_date} failed; the previous rows are intact: {exc}") from None
        replaced = self._result(finished.sub_ids[before])[0][0]
        loaded = self._result(finished.sub_ids[after])[0][0]
        codeshares = self._result(finished.sub_ids[after + 1])[0][0]
        return LoadResult(
            flight_date, rows_loaded=int(loaded), rows_replaced=int(replaced), codeshares_loaded=int(codeshares)
        )


def _value(field: dict[str, Any], type_name: str) -> Any:
    if field.get("isNull"):
        return None
    for key in ("longValue", "doubleValue", "booleanValue"):
        if key in field:
            return field[key]
    text = field.get("stringValue")
    if text is not None and type_name == "date":
        return dt.date.fromisoformat(text)
    if text is not None and type_name in {"timestamptz", "timestamp"}:
        parsed = dt.datetime.fromisoformat(text)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return text
