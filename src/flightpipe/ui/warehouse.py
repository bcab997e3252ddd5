"""Reading the configured warehouse from a page: under the loader lock (an action of this console, or a run in
another process, may be loading the embedded DuckDB file, which one process at a time may open for writing),
and with the values a visitor typed as checked SQL literals."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flightpipe.config import Settings
from flightpipe.pipeline.warehouse import warehouse_lock
from flightpipe.pipeline.warehouse_access import open_for_reading
from flightpipe.warehouse.base import SqlWarehouse

#: What a flight number, airline or airport code may look like in a search: letters, digits, nothing else.
_CODE = re.compile(r"^[A-Z0-9]{2,8}$")


@contextmanager
def reading(settings: Settings) -> Iterator[SqlWarehouse]:
    with warehouse_lock(settings, "reading for the console"):
        warehouse = open_for_reading(settings)
        try:
            yield warehouse
        finally:
            warehouse.close()


def records(warehouse: SqlWarehouse, sql: str) -> list[dict[str, Any]]:
    columns, rows = warehouse.columns_and_rows(sql)
    return [dict(zip(columns, row, strict=True)) for row in rows]


def code(value: str | None) -> str | None:
    """``value`` upper-cased without spaces when it is a plausible code (``LH123``, ``EDDF``), else None."""
    if not value:
        return None
    cleaned = re.sub(r"\s+", "", value).upper()
    return cleaned if _CODE.match(cleaned) else None


def date_literal(day: dt.date) -> str:
    return f"DATE '{day.isoformat()}'"


def text_literal(value: str) -> str:
    """A checked code as a SQL string (``code`` lets through letters and digits only)."""
    if not _CODE.match(value):
        raise ValueError(f"not a code: {value!r}")
    return f"'{value}'"
