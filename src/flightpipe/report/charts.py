"""The report's charts: accessible SVG written directly, inlined in the HTML.

No plotting library: the three chart kinds the report needs (lines, grouped bars, horizontal bars) are a few
dozen SVG elements each, and drawing them with matplotlib cost a daily run about 1.4 s (its import and its
layout engine) for the same picture. Text stays text: it is selectable, scales sharply, keeps the file small and
uses a font the reader already has, so nothing is fetched. Margins are sized from the texts' widths, estimated
from DejaVu Sans's advance widths (``_font.py``), the widest of the fonts the charts ask for. Each SVG gets
``role="img"``, a ``<title>`` and a ``<desc>`` (its alt text), and ids unique to the chart so several SVGs can
share one page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from flightpipe.report._font import text_width

TEXT = "#1f2933"
GRID = "#d9dee4"
FONT_FAMILY = "'DejaVu Sans', 'Liberation Sans', Arial, Helvetica, sans-serif"
FONT_PT, TITLE_PT, LEGEND_PT, BAR_LABEL_PT = 10.0, 11.0, 9.0, 8.5

#: The smallest share of its drawn size a chart is shown at: 10 pt text stays at least 9 CSS px.
READABLE = 0.7
#: The width of a line chart's plot area in points, about, and of one character of its tick labels.
_PLOT_WIDTH_PT, _CHAR_PT = 700, 6.5
#: Gaps in points: around the figure, between a tick label and its axis (tick + pad), a label and the ticks.
_EDGE_PT, _TICK_PT, _LABEL_GAP_PT, _TICK_LEN_PT = 6.0, 7.5, 5.0, 3.5
#: A line of text is about this many times its font size tall.
_LINE = 1.17


@dataclass(frozen=True, slots=True)
class Chart:
    """An inline SVG, or None with the note the page shows instead."""

    chart_id: str
    title: str
    alt: str
    svg: Markup | None
    note: str = ""


def no_data(chart_id: str, title: str, note: str) -> Chart:
    return Chart(chart_id, title, note, None, note)


def label_step(labels: Sequence[str], width_pt: float) -> int:
    """Show every n-th of ``labels`` so that they fit ``width_pt`` without touching (1: all of them)."""
    if not labels:
        return 1
    per_label = _CHAR_PT * max(len(label) for label in labels) + 18  # the text and a gap
    fitting = max(1, int(width_pt // per_label))
    return max(1, -(-len(labels) // fitting))


# Drawing primitives ---------------------------------------------------------------------------------------------


def _n(value: float) -> str:
    """A coordinate, short: two decimals at most, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _text(
    x: float,
    y: float,
    content: str,
    *,
    anchor: str = "start",
    size: float = FONT_PT,
    bold: bool = False,
    rotate: bool = False,
) -> str:
    """A line of text whose baseline is at ``y``; ``rotate`` turns it a quarter anticlockwise around (x, y)."""
    attrs = f'x="{_n(x)}" y="{_n(y)}"'
    if anchor != "start":
        attrs += f' text-anchor="{anchor}"'
    if size != FONT_PT:
        attrs += f' font-size="{_n(size)}"'
    if bold:
        attrs += ' font-weight="bold"'
    if rotate:
        attrs += f' transform="rotate(-90 {_n(x)} {_n(y)})"'
    return f"<text {attrs}>{escape(content)}</text>"


def _line(x1: float, y1: float, x2: float, y2: float, colour: str, width: float) -> str:
    return (
        f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{colour}" stroke-width="{_n(width)}"/>'
    )


def _rect(x: float, y: float, width: float, height: float, colour: str) -> str:
    return f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(width)}" height="{_n(height)}" fill="{colour}"/>'


def _height(size: float = FONT_PT) -> float:
    return size * _LINE


def _baseline(middle: float, size: float = FONT_PT) -> float:
    """The baseline that centres a line of text of ``size`` on ``middle`` (capital letters about 0.72 em)."""
    return middle + size * 0.36


def nice_ticks(low: float, high: float, most: int = 7) -> list[float]:
    """Round tick values from ``low`` to ``high`` (both included when round), at most ``most`` of them: steps of
    1, 2, 2.5 or 5 times a power of ten, as matplotlib's default locator picks them."""
    if not high > low:
        return [low]
    raw = (high - low) / max(most - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw - 1e-12)
    first = math.ceil(low / step - 1e-9) * step
    count = math.floor((high - first) / step + 1e-9)
    return [round(first + i * step, 10) for i in range(count + 1)]


def _padded_top(values: Sequence[float]) -> float:
    """An axis from 0 to a little above the largest value (5 %, as matplotlib's margins), 1 when all are 0."""
    top = max([0.0, *values])
    return top * 1.05 if top > 0 else 1.0


@dataclass(frozen=True, slots=True)
class _Axes:
    """A plot area in the figure's points and the data ranges it shows."""

    left: float
    top: float
    width: float
    height: float
    x_range: tuple[float, float]
    y_range: tuple[float, float]

    def x(self, value: float) -> float:
        low, high = self.x_range
        return self.left + (value - low) / (high - low) * self.width

    def y(self, value: float) -> float:
        low, high = self.y_range
        return self.top + self.height - (value - low) / (high - low) * self.height

    @property
    def bottom(self) -> float:
        return self.top + self.height

    @property
    def right(self) -> float:
        return self.left + self.width


def _y_axis(ax: _Axes, ticks: Sequence[float], labels: Sequence[str], *, grid: bool = True) -> list[str]:
    """The y grid lines, tick marks and tick labels, and the left spine."""
    parts = []
    for value, label in zip(ticks, labels, strict=True):
        y = ax.y(value)
        if grid:
            parts.append(_line(ax.left, y, ax.right, y, GRID, 0.6))
        parts.append(_line(ax.left - _TICK_LEN_PT, y, ax.left, y, TEXT, 0.8))
        parts.append(_text(ax.left - _TICK_PT, _baseline(y), label, anchor="end"))
    parts.append(_line(ax.left, ax.top, ax.left, ax.bottom, GRID, 0.8))
    return parts


def _x_axis(ax: _Axes, ticks: Sequence[float], labels: Sequence[str], *, grid: bool = True) -> list[str]:
    """The x grid lines, tick marks and tick labels, and the bottom spine."""
    parts = []
    label_y = ax.bottom + _TICK_PT + FONT_PT * 0.93
    for value, label in zip(ticks, labels, strict=True):
        x = ax.x(value)
        if grid:
            parts.append(_line(x, ax.top, x, ax.bottom, GRID, 0.6))
        parts.append(_line(x, ax.bottom, x, ax.bottom + _TICK_LEN_PT, TEXT, 0.8))
        parts.append(_text(x, label_y, label, anchor="middle"))
    parts.append(_line(ax.left, ax.bottom, ax.right, ax.bottom, GRID, 0.8))
    return parts


def _x_label(ax: _Axes, label: str) -> str:
    y = ax.bottom + _TICK_PT + _height() + _LABEL_GAP_PT + FONT_PT * 0.93
    return _text(ax.left + ax.width / 2, y, label, anchor="middle")


def _y_label(ax: _Axes, label: str, tick_width: float) -> str:
    x = ax.left - _TICK_PT - tick_width - _LABEL_GAP_PT - FONT_PT * 0.25
    return _text(x, ax.top + ax.height / 2, label, anchor="middle", rotate=True)


def _legend(x: float, top: float, entries: Mapping[str, str], *, marker: str) -> list[str]:
    """One entry per name, top down from ``top`` at ``x``: a line with a dot (``marker="line"``) or a square."""
    parts = []
    row = LEGEND_PT * 1.4
    for i, (name, colour) in enumerate(entries.items()):
        middle = top + LEGEND_PT * 0.7 + i * row
        if marker == "line":
            parts.append(_line(x, middle, x + 2 * LEGEND_PT, middle, colour, 2))
            parts.append(f'<circle cx="{_n(x + LEGEND_PT)}" cy="{_n(middle)}" r="1.75" fill="{colour}"/>')
        else:
            parts.append(
                _rect(x + 0.5 * LEGEND_PT, middle - 0.35 * LEGEND_PT, 0.7 * LEGEND_PT, 0.7 * LEGEND_PT, colour)
            )
        parts.append(_text(x + 2.8 * LEGEND_PT, _baseline(middle, LEGEND_PT), name, size=LEGEND_PT))
    return parts


def _legend_width(names: Sequence[str]) -> float:
    """handle (2 em) + gap (0.8 em) + the widest entry + the space before the axes (0.5 em) and the edge."""
    return max((text_width(n, LEGEND_PT) for n in names), default=0.0) + LEGEND_PT * (2.0 + 0.8 + 0.5 + 0.4)


def _svg(chart_id: str, title: str, alt: str, width_pt: float, height_pt: float, parts: Sequence[str]) -> Markup:
    """The parts as an accessible, self-contained ``<svg>`` element that scales with the page, never beyond its
    drawn size (text would grow past the page's own; 1 pt = 4/3 CSS px) and never below READABLE of it (its text
    would be too small to read; the chart scrolls sideways in its box instead, on a phone)."""
    max_px = round(width_pt * 4 / 3)
    head = (
        f'<svg role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" class="chart"'
        f' style="max-width: {max_px}px; min-width: {round(max_px * READABLE)}px"'
        ' preserveAspectRatio="xMidYMid meet"'
        f' viewBox="0 0 {_n(width_pt)} {_n(height_pt)}" xmlns="http://www.w3.org/2000/svg"'
        f' font-family="{FONT_FAMILY}" font-size="{_n(FONT_PT)}" fill="{TEXT}">'
    )
    accessible = f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(alt)}</desc>'
    background = f'<rect width="{_n(width_pt)}" height="{_n(height_pt)}" fill="white"/>'
    return Markup(head + accessible + background + "".join(parts) + "</svg>")


# The charts -----------------------------------------------------------------------------------------------------


def line_chart(
    chart_id: str,
    title: str,
    alt: str,
    x_labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    colours: dict[str, str],
    *,
    y_label: str,
    x_label: str,
    percent: bool = False,
    size: tuple[float, float] = (11.5, 3.8),
) -> Markup:
    """One line per airport; None leaves a gap (a day or hour without data is not drawn as zero)."""
    width_pt, height_pt = size[0] * 72, size[1] * 72
    scaled = {
        name: [None if v is None else (v * 100 if percent else float(v)) for v in values]
        for name, values in series.items()
    }
    present = [v for vs in scaled.values() for v in vs if v is not None]
    if percent:
        # From a round 10 % below the lowest value to 100 %: differences of a few points stay visible.
        lowest = min(present, default=0.0)
        y_range = (max(0.0, (lowest // 10) * 10 - 10), 100.0)
    else:
        y_range = (0.0, _padded_top(present))
    y_ticks = nice_ticks(*y_range)
    y_texts = [f"{v:.0f} %" if percent else _tick_text(v) for v in y_ticks]
    # Every step-th label, the last one always: as many as fit side by side, however many days.
    positions = list(range(len(x_labels)))
    step = label_step(x_labels, _PLOT_WIDTH_PT * size[0] / 11.5)
    shown = [i for i in positions if (len(positions) - 1 - i) % step == 0]

    tick_width = max(text_width(t) for t in y_texts)
    left = _EDGE_PT + tick_width + _TICK_PT + _height() + _LABEL_GAP_PT
    right = _legend_width(list(scaled)) + _EDGE_PT
    top = _EDGE_PT + _height() / 2
    bottom = _EDGE_PT + _TICK_PT + 2 * _height() + _LABEL_GAP_PT
    span = max(len(positions) - 1, 1)
    ax = _Axes(left, top, width_pt - left - right, height_pt - top - bottom, (-0.05 * span, span * 1.05), y_range)
    parts = _y_axis(ax, y_ticks, y_texts)
    parts += _x_axis(ax, shown, [x_labels[i] for i in shown])
    parts += [_y_label(ax, y_label, tick_width), _x_label(ax, x_label)]
    for name, values in scaled.items():
        colour = colours[name]
        for run in _unbroken_runs(values):
            points = " ".join(f"{_n(ax.x(i))},{_n(ax.y(v))}" for i, v in run)
            parts.append(
                f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"'
                ' stroke-linejoin="round" stroke-linecap="round"/>'
            )
            parts += [f'<circle cx="{_n(ax.x(i))}" cy="{_n(ax.y(v))}" r="1.75" fill="{colour}"/>' for i, v in run]
    parts += _legend(ax.right + LEGEND_PT * 0.5, ax.top, {n: colours[n] for n in scaled}, marker="line")
    return _svg(chart_id, title, alt, width_pt, height_pt, parts)


def _unbroken_runs(values: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    """The stretches of consecutive values that are not None, with their positions."""
    runs: list[list[tuple[int, float]]] = []
    current: list[tuple[int, float]] = []
    for i, value in enumerate(values):
        if value is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append((i, value))
    if current:
        runs.append(current)
    return runs


def _tick_text(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:g}"


def grouped_bars(
    chart_id: str,
    title: str,
    alt: str,
    categories: Sequence[str],
    panels: Mapping[str, Mapping[str, Sequence[float]]],
    colours: dict[str, str],
    *,
    y_label: str,
    x_label: str,
    size: tuple[float, float] = (11.5, 3.8),
) -> Markup:
    """One panel per key of ``panels`` (e.g. departures, arrivals); in each, bars per category per airport."""
    width_pt, height_pt = size[0] * 72, size[1] * 72
    names = list(dict.fromkeys(name for series in panels.values() for name in series))
    tops = {panel: _padded_top([v for vs in series.values() for v in vs]) for panel, series in panels.items()}
    ticks = {panel: nice_ticks(0.0, top) for panel, top in tops.items()}
    texts = {panel: [f"{v:.0f} %" for v in values] for panel, values in ticks.items()}
    widths = {panel: max(text_width(t) for t in values) for panel, values in texts.items()}

    first = next(iter(panels))
    left = _EDGE_PT + widths[first] + _TICK_PT + _height() + _LABEL_GAP_PT
    right = _legend_width(names) + _EDGE_PT
    top = _EDGE_PT + _height(TITLE_PT) + 8.0
    bottom = _EDGE_PT + _TICK_PT + 2 * _height() + _LABEL_GAP_PT
    gap = max([w + _TICK_PT for p, w in widths.items() if p != first], default=0.0) + 2 * _EDGE_PT
    panel_width = (width_pt - left - right - gap * (len(panels) - 1)) / len(panels)
    n = len(categories)
    parts: list[str] = []
    ax = None
    for index, (panel, series) in enumerate(panels.items()):
        x0 = left + index * (panel_width + gap)
        # Bars fill 0.8 of each category's slot; the axis leaves matplotlib's 5 % margins either side.
        x_range = (-0.4 - 0.05 * (n - 0.2), n - 0.6 + 0.05 * (n - 0.2))
        ax = _Axes(x0, top, panel_width, height_pt - top - bottom, x_range, (0.0, tops[panel]))
        parts += _y_axis(ax, ticks[panel], texts[panel])
        parts += _x_axis(ax, list(range(n)), list(categories), grid=False)
        parts.append(
            _text(
                ax.left + ax.width / 2, ax.top - 8.0 - TITLE_PT * 0.25, panel, anchor="middle", size=TITLE_PT, bold=True
            )
        )
        parts.append(_x_label(ax, x_label))
        if index == 0:
            parts.append(_y_label(ax, y_label, widths[panel]))
        bar = 0.8 / max(len(series), 1)
        for i, (name, values) in enumerate(series.items()):
            for c, value in enumerate(values):
                centre = c + (i - (len(series) - 1) / 2) * bar
                x_left, x_right = ax.x(centre - bar / 2), ax.x(centre + bar / 2)
                y_top = ax.y(max(value, 0.0))
                parts.append(_rect(x_left, y_top, x_right - x_left, ax.y(0.0) - y_top, colours[name]))
    assert ax is not None
    parts += _legend(ax.right + LEGEND_PT * 0.5, ax.top, {n: colours[n] for n in names}, marker="square")
    return _svg(chart_id, title, alt, width_pt, height_pt, parts)


def horizontal_bars(
    chart_id: str,
    title: str,
    alt: str,
    labels: Sequence[str],
    values: Sequence[float],
    colours: Sequence[str],
    *,
    x_label: str,
    value_format: str = "{:.0f}",
    size: tuple[float, float] = (5.6, 3.7),
) -> Markup:
    """Largest first, at the top; each bar carries its value."""
    width_pt, height_pt = size[0] * 72, size[1] * 72
    value_texts = [value_format.format(v) for v in values]
    low = min([0.0, *values])
    high = max([0.0, *values])
    span = (high - low) or 1.0
    x_range = (low * 1.15, high + 0.15 * span)  # room for the values at the bars' ends
    x_ticks = nice_ticks(*x_range, most=6)
    x_texts = [_tick_text(v) for v in x_ticks]

    left = _EDGE_PT + max(text_width(label) for label in labels) + _TICK_PT
    right = _EDGE_PT + text_width(x_texts[-1]) / 2
    top = _EDGE_PT + _height() / 2
    bottom = _EDGE_PT + _TICK_PT + 2 * _height() + _LABEL_GAP_PT
    plot_width = width_pt - left - right
    # The value beside the longest bar must fit: widen the range until it does.
    widest_value = max(text_width(t, BAR_LABEL_PT) for t in value_texts) + 3.0
    if (
        plot_width > widest_value
        and (high - x_range[0]) / (x_range[1] - x_range[0]) * plot_width + widest_value > plot_width
    ):
        x_range = (x_range[0], x_range[0] + (high - x_range[0]) * plot_width / (plot_width - widest_value))
        x_ticks = nice_ticks(*x_range, most=6)
        x_texts = [_tick_text(v) for v in x_ticks]
    n = len(labels)
    ax = _Axes(left, top, plot_width, height_pt - top - bottom, x_range, (-0.35 - 0.05 * n, n - 0.65 + 0.05 * n))
    parts = _x_axis(ax, x_ticks, x_texts)
    parts.append(_x_label(ax, x_label))
    parts.append(_line(ax.left, ax.top, ax.left, ax.bottom, GRID, 0.8))
    for rank, (label, value, text, colour) in enumerate(zip(labels, values, value_texts, colours, strict=True)):
        position = n - 1 - rank  # the first (largest) at the top
        y_top, y_bottom = ax.y(position + 0.35), ax.y(position - 0.35)
        x_zero, x_end = ax.x(0.0), ax.x(value)
        parts.append(_rect(min(x_zero, x_end), y_top, abs(x_end - x_zero), y_bottom - y_top, colour))
        middle = (y_top + y_bottom) / 2
        parts.append(_line(ax.left - _TICK_LEN_PT, middle, ax.left, middle, TEXT, 0.8))
        parts.append(_text(ax.left - _TICK_PT, _baseline(middle), label, anchor="end"))
        value_x = x_end + 3.0 if value >= 0 else x_end - 3.0
        anchor = "start" if value >= 0 else "end"
        parts.append(_text(value_x, _baseline(middle, BAR_LABEL_PT), text, anchor=anchor, size=BAR_LABEL_PT))
    return _svg(chart_id, title, alt, width_pt, height_pt, parts)
