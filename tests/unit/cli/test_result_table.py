"""``flightpipe sql`` tables: readable at any width, numbers right-aligned and rounded, data shown as it is."""

from __future__ import annotations

import io
from decimal import Decimal

from rich.console import Console

from flightpipe.cli.result_table import cell_text, print_expanded, result_table


def _render(columns: list[str], rows: list[tuple[object, ...]], width: int) -> tuple[str, list[str]]:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    table, left_out = result_table(columns, rows, width=width)
    console.print(table)
    output = console.file.getvalue()  # type: ignore[attr-defined]
    return output, left_out


def test_floats_and_decimals_are_rounded_to_two_places_and_null_is_empty() -> None:
    assert [cell_text(v) for v in (1.23456, Decimal("7.005"), None, 12, "x")] == ["1.23", "7.00", "", "12", "x"]


def test_numbers_are_right_aligned_and_text_left_aligned() -> None:
    output, _ = _render(["name", "flights"], [("EDDH", 5), ("EDDF", 1234)], width=80)

    assert "│ EDDH │       5 │" in output and "│ EDDF │    1234 │" in output


def test_markup_and_emoji_shortcodes_in_data_are_shown_as_they_are() -> None:
    output, _ = _render(["s"], [("a:x:b [red]r[/]",)], width=80)

    assert "a:x:b [red]r[/]" in output


def test_columns_that_do_not_fit_are_left_out_and_named_instead_of_shown_as_ellipses() -> None:
    columns = [f"column_{n:02d}" for n in range(30)]

    output, left_out = _render(columns, [tuple(f"value {n}" for n in range(30))], width=120)

    shown = columns[: 30 - len(left_out)]
    assert left_out == columns[len(shown) :] and len(shown) >= 6
    assert all(name in output for name in shown) and "…" not in output
    assert max(len(line) for line in output.splitlines()) <= 120


def test_a_long_value_is_cut_with_an_ellipsis_and_keeps_the_other_columns_readable() -> None:
    output, left_out = _render(["id", "text"], [(1, "x" * 200)], width=80)

    assert left_out == [] and "xxx…" in output and "│  1 │" in output


def test_expanded_shows_one_block_per_row() -> None:
    console = Console(file=io.StringIO(), width=80, color_system=None)

    print_expanded(console, ["airport", "flights"], [("EDDH", 5), ("EDDF", 1.5)])

    assert console.file.getvalue().splitlines() == [  # type: ignore[attr-defined]
        "-[ row 1 ]-",
        "airport  EDDH",
        "flights  5",
        "-[ row 2 ]-",
        "airport  EDDF",
        "flights  1.50",
    ]
