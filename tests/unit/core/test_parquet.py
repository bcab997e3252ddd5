"""read_parquet: Parquet bytes as ``pq.read_table`` reads them (with a schema, a column subset, or neither),
without the dataset layer; what it cannot read raises ``pa.ArrowInvalid``."""

from __future__ import annotations

import datetime as dt
import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flightpipe.core.parquet import read_parquet

WANTED = pa.schema(
    [
        pa.field("flight_date", pa.date32()),
        pa.field("flight_iata", pa.string()),
        pa.field("dep_delay_min", pa.int64()),
        pa.field("dep_gate", pa.string()),
    ],
    metadata={b"written_by": b"flightpipe"},
)


def _bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def _oracle(data: bytes, **kwargs: object) -> pa.Table:
    return pq.read_table(io.BytesIO(data), **kwargs)  # type: ignore[arg-type]


#: As older files hold it: a column missing (dep_gate), one of a narrower type (int32), one dictionary-encoded, and
#: one the schema no longer has.
OLDER = pa.table(
    {
        "flight_iata": pa.array(["LH1", "EW2", None]).dictionary_encode(),
        "flight_date": pa.array([dt.date(2026, 6, 8)] * 3, pa.date32()),
        "dep_delay_min": pa.array([5, None, -3], pa.int32()),
        "dropped": pa.array([1, 2, 3]),
    }
)


def test_with_a_schema_it_reads_what_read_table_reads_column_for_column_and_metadata() -> None:
    data = _bytes(OLDER)
    read = read_parquet(data, WANTED)
    assert read.equals(_oracle(data, schema=WANTED), check_metadata=True)
    assert read.schema == WANTED
    assert read.column("dep_gate").to_pylist() == [None, None, None]
    assert read.column("dep_delay_min").to_pylist() == [5, None, -3]
    assert read.column("flight_iata").to_pylist() == ["LH1", "EW2", None]


def test_a_column_subset_with_or_without_a_schema_reads_as_read_table_does() -> None:
    data = _bytes(OLDER)
    assert read_parquet(data, columns=["flight_date"]).equals(_oracle(data, columns=["flight_date"]))
    subset = read_parquet(data, WANTED, columns=["dep_delay_min", "flight_date"])
    assert subset.equals(_oracle(data, schema=WANTED, columns=["dep_delay_min", "flight_date"]))
    assert subset.column_names == ["dep_delay_min", "flight_date"]


def test_without_a_schema_it_reads_the_file_as_written() -> None:
    data = _bytes(OLDER)
    assert read_parquet(data).equals(_oracle(data), check_metadata=True)


def test_an_empty_file_of_the_schema_reads_as_an_empty_table_of_it() -> None:
    assert read_parquet(_bytes(WANTED.empty_table()), WANTED).equals(WANTED.empty_table(), check_metadata=True)


def test_bytes_that_are_not_parquet_raise_arrow_invalid() -> None:
    with pytest.raises(pa.ArrowInvalid):
        read_parquet(b'{"data": []}', WANTED)
    with pytest.raises((pa.ArrowInvalid, OSError)):
        read_parquet(_bytes(OLDER)[:-40], WANTED)  # cut off: what the callers report as unreadable


def test_a_column_that_cannot_be_cast_raises_arrow_invalid_naming_it() -> None:
    data = _bytes(pa.table({"flight_date": pa.array([[1]], pa.list_(pa.int64()))}))
    with pytest.raises(pa.ArrowInvalid, match="'flight_date'"):
        read_parquet(data, WANTED)
