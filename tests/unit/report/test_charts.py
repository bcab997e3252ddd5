"""The report's charts: SVG written directly, without a plotting library, laid out so that their text fits."""

from __future__ import annotations

import re
import subprocess
import sys

from flightpipe.report._font import text_width
from flightpipe.report.charts import horizontal_bars, line_chart, nice_ticks


def test_rendering_the_report_imports_no_plotting_library() -> None:
    probe = "import sys, flightpipe.report.render\nprint('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "False"


def test_ticks_are_round_steps_covering_the_range() -> None:
    assert nice_ticks(0.0, 105.0) == [0, 20, 40, 60, 80, 100]
    assert nice_ticks(50.0, 100.0) == [50, 60, 70, 80, 90, 100]
    assert nice_ticks(0.0, 15.75, most=6) == [0, 5, 10, 15]
    assert nice_ticks(3.0, 3.0) == [3.0]


def test_text_widths_follow_dejavu_sans_advances() -> None:
    assert text_width("0", 10) == 6.36
    assert text_width("MW", 20) == (863 + 989) * 20 / 1000
    assert text_width("ü", 10) == 7.0  # not in the table: counted wide


def test_a_line_chart_leaves_a_gap_where_a_value_is_missing() -> None:
    svg = line_chart("c", "t", "a", ["1", "2", "3", "4"], {"EDDH": [1, None, 3, 4]}, {"EDDH": "#CC79A7"},
                     y_label="y", x_label="x")  # fmt: skip
    assert [len(p.split()) for p in re.findall(r'<polyline points="([^"]+)"', svg)] == [1, 2]
    assert svg.count("<circle cx=") == 3 + 1  # one per value, and the legend's


def test_horizontal_bars_keep_each_value_inside_the_chart() -> None:
    labels, values = ["LH Lufthansa", "X3 TUIfly"], [1461.0, 52.0]
    svg = horizontal_bars("c", "t", "a", labels, values, ["#000000"] * 2, x_label="flights", size=(5.6, 3.7))
    width = float(re.search(r'viewBox="0 0 ([\d.]+) ', svg).group(1))  # type: ignore[union-attr]
    x = float(re.search(r'<text x="([\d.]+)"[^>]*>1461</text>', svg).group(1))  # type: ignore[union-attr]
    assert x + text_width("1461", 8.5) <= width
    assert svg.startswith('<svg role="img" aria-labelledby="c-title c-desc" class="chart"')
    assert '<title id="c-title">t</title><desc id="c-desc">a</desc>' in svg
