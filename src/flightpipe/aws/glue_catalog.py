"""The Glue Data Catalog side of the processed layer: table columns from the Arrow schema, explicit partitions.

The Glue job registers every partition it wrote with ``batch_create_partition`` (at most 100 per call, the
API's limit); a partition that already exists is updated to the same location, so a rerun is harmless. A
flight date whose rows all went away loses its files and its partition (``deregister_partitions``), so the
catalog never points at a folder that is gone. No crawler is waited for: crawlers exist for schema discovery only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from flightpipe.core.errors import FlightpipeError
from flightpipe.core.layout import processed_partition

#: batch_create_partition accepts at most this many partitions per call.
MAX_PARTITIONS_PER_CALL = 100
#: batch_delete_partition accepts at most this many.
MAX_DELETES_PER_CALL = 25
#: The processed table's partition key. The directory says ``flight-date=`` (as our users drew it), but the
#: data files already hold ``flight_date`` and a key may not repeat a column; with explicit locations the key's
#: name need not match the directory.
PARTITION_KEY = "partition_date"
PARQUET_INPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
PARQUET_IO: dict[str, Any] = {
    "InputFormat": PARQUET_INPUT_FORMAT,
    "OutputFormat": PARQUET_OUTPUT_FORMAT,
    "SerdeInfo": {"SerializationLibrary": PARQUET_SERDE},
}


class CatalogError(FlightpipeError):
    """The Glue Data Catalog refused to register partitions."""


def hive_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "string"
    if pa.types.is_date32(arrow_type):
        return "date"
    if pa.types.is_timestamp(arrow_type):
        return "timestamp"
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_int64(arrow_type):
        return "bigint"
    if pa.types.is_integer(arrow_type):
        return "int"
    if pa.types.is_floating(arrow_type):
        return "double"
    if pa.types.is_list(arrow_type):
        return f"array<{hive_type(arrow_type.value_type)}>"
    raise TypeError(f"no Hive type for Arrow {arrow_type}")


def glue_columns(schema: pa.Schema) -> list[dict[str, str]]:
    return [{"Name": f.name, "Type": hive_type(f.type)} for f in schema]


def partition_input(data_url: str, flight_date: dt.date, schema: pa.Schema) -> dict[str, Any]:
    return {
        "Values": [flight_date.isoformat()],
        "StorageDescriptor": {
            "Columns": glue_columns(schema),
            "Location": f"{data_url.rstrip('/')}/{processed_partition(flight_date)}",
            **PARQUET_IO,
        },
    }


def register_partitions(
    glue: Any, *, database: str, table: str, data_url: str, flight_dates: Sequence[dt.date], schema: pa.Schema
) -> int:
    """Create (or update) one partition per flight date; returns how many calls batch_create_partition took."""
    inputs = [partition_input(data_url, d, schema) for d in sorted(set(flight_dates))]
    calls = 0
    for start in range(0, len(inputs), MAX_PARTITIONS_PER_CALL):
        batch = inputs[start : start + MAX_PARTITIONS_PER_CALL]
        answer = glue.batch_create_partition(DatabaseName=database, TableName=table, PartitionInputList=batch)
        calls += 1
        by_values = {tuple(p["Values"]): p for p in batch}
        for error in answer.get("Errors", []):
            values = tuple(error.get("PartitionValues", []))
            code = error.get("ErrorDetail", {}).get("ErrorCode", "")
            if code == "AlreadyExistsException" and values in by_values:
                glue.update_partition(
                    DatabaseName=database,
                    TableName=table,
                    PartitionValueList=list(values),
                    PartitionInput=by_values[values],
                )
                continue
            message = error.get("ErrorDetail", {}).get("ErrorMessage", "")
            raise CatalogError(f"Glue refused partition {values} of {database}.{table}: {code} {message}")
    return calls


def deregister_partitions(glue: Any, *, database: str, table: str, flight_dates: Sequence[dt.date]) -> int:
    """Remove the partitions of ``flight_dates`` (at most 25 per call); one that is not there is no error, so a
    rerun is harmless. Returns how many calls batch_delete_partition took."""
    values = [{"Values": [d.isoformat()]} for d in sorted(set(flight_dates))]
    calls = 0
    for start in range(0, len(values), MAX_DELETES_PER_CALL):
        batch = values[start : start + MAX_DELETES_PER_CALL]
        answer = glue.batch_delete_partition(DatabaseName=database, TableName=table, PartitionsToDelete=batch)
        calls += 1
        for error in answer.get("Errors", []):
            code = error.get("ErrorDetail", {}).get("ErrorCode", "")
            if code != "EntityNotFoundException":
                message = error.get("ErrorDetail", {}).get("ErrorMessage", "")
                raise CatalogError(
                    f"Glue refused to remove partition {error.get('PartitionValues')} of {database}.{table}:"
                    f" {code} {message}"
                )
    return calls
