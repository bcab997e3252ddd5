"""Parquet bytes to an Arrow table, without pyarrow's dataset layer.

``pq.read_table`` builds a ``ParquetDataset`` (a file system, a discovery, a scanner) for every call, to read one
file of bytes: about 0.7 ms a file more than ``pq.ParquetFile``, which reads the same file through the Parquet
reader alone (the daily run's board checks, process on S3 and the load read one file at a time). :func:`read_parquet`
then gives the table the shape ``read_table``'s ``schema=`` gives it. A test compares both on the kinds of file the
pipeline reads: a column missing, one of a narrower or dictionary type, one the schema no longer has.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq


def read_parquet(data: bytes, schema: pa.Schema | None = None, columns: list[str] | None = None) -> pa.Table:
    """The Parquet file ``data`` as a table: its ``columns`` (default all), or, with ``schema``, exactly that
    schema's fields in its order (a column the file lacks as nulls, a column of another type cast to the field's
    type), as ``pq.read_table(data, schema=schema, columns=columns)`` reads it. A file that is not Parquet, or a
    column that cannot be cast, raises ``pa.ArrowInvalid``."""
    parquet = pq.ParquetFile(pa.BufferReader(data))
    if schema is None:
        return parquet.read(columns=columns)
    wanted = schema if columns is None else pa.schema([schema.field(name) for name in columns], schema.metadata)
    present = set(parquet.schema_arrow.names)
    table = parquet.read(columns=[name for name in wanted.names if name in present])
    arrays: list[pa.ChunkedArray | pa.Array] = []
    for field in wanted:
        if field.name not in present:
            arrays.append(pa.nulls(table.num_rows, field.type))
            continue
        column = table.column(field.name)
        try:
            arrays.append(column if column.type == field.type else column.cast(field.type))
        except (pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
            raise pa.ArrowInvalid(
                f"column {field.name!r} of type {column.type} cannot be read as {field.type}"
            ) from exc
    return pa.Table.from_arrays(arrays, schema=wanted)
