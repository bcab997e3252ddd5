"""How ``flightpipe sql`` shows a result on the terminal: a table that stays readable at any width, or one record
per block (``--expanded``).

Cells are plain text (never rich markup or emoji shortcodes: ``a:x:b`` stays ``a:x:b``); numbers are right-aligned,
floats rounded to two decimals; a column is at most ``MAX_CELL`` characters wide (longer values end in "…"); the
columns that do not fit the terminal at a readable width are left out and named below the table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

#: Widest a column gets; a wider value is cut with "…".
MAX_CELL = 32
#: Narrowest a column may be squeezed to and still be read (or its header's width, when shorter).
MIN_CELL = 8
#: What a column costs besides its text: the padding either side and its border.
_COLUMN_FRAME = 3


def cell_text(value: Any) -> str:
    """One value as the table shows it: nothing for NULL, floats and decimals rounded to two places."""
    if value is None:
        return ""
    if isinstance(value, float | Decimal) and not isinstance(value, bool):
        return f"{value:.2f}"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return str(value)


def is_numeric(values: Sequence[Any]) -> bool:
    """A column of numbers (NULLs aside, at least one number): shown right-aligned."""
    present = [v for v in values if v is not None]
    return bool(present) and all(isinstance(v, int | float | Decimal) and not isinstance(v, bool) for v in present)


def fitting_columns(columns: Sequence[str], texts: Sequence[Sequence[str]], width: int) -> int:
    """How many of ``columns`` (from the left) fit ``width`` at a readable width; at least one."""
    used = 1  # the table's left border
    for index, name in enumerate(columns):
        used += _readable_width(name, [row[index] for row in texts]) + _COLUMN_FRAME
        if used > width and index > 0:
            return index
    return len(columns)


def _readable_width(name: str, texts: Sequence[str]) -> int:
    """The narrowest a column is shown: its header (or MIN_CELL), but no wider than its widest value or MAX_CELL."""
    natural = max([len(name), *(len(text) for text in texts)])
    return min(natural, MAX_CELL, max(MIN_CELL, len(name)))


def result_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], *, width: int) -> tuple[Table, list[str]]:
    """The table of a result for a terminal ``width`` columns wide, and the names of the columns left out."""
    texts = [[cell_text(v) for v in row] for row in rows]
    shown = fitting_columns(columns, texts, width)
    table = Table(show_lines=False)
    for index, name in enumerate(columns[:shown]):
        table.add_column(
            Text(name),
            justify="right" if is_numeric([row[index] for row in rows]) else "left",
            no_wrap=True,
            overflow="ellipsis",
            max_width=MAX_CELL,
            min_width=_readable_width(name, [row[index] for row in texts]),
        )
    for row in texts:
        table.add_row(*(Text(text) for text in row[:shown]))
    return table, list(columns[shown:])


def print_expanded(console: Console, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Each row as a block of ``column  value`` lines (like psql's ``\\x``), for wide results."""
    label = max((len(c) for c in columns), default=0)
    for number, row in enumerate(rows, start=1):
        console.print(Text(f"-[ row {number} ]" + "-" * max(0, label - 6)))
        for name, value in zip(columns, row, strict=True):
            console.print(Text(f"{name:<{label}}  {cell_text(value)}"), soft_wrap=True)
