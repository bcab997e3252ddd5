"""The report's charts: matplotlib (Agg, no display) rendered to SVG that is inlined in the HTML.

Text stays text (``svg.fonttype = 'none'``): it is selectable, scales sharply, keeps the file small and uses a
font the reader already has, so nothing is fetched. Each SVG gets ``role="img"``, a ``<title>`` and a
``<desc>`` (its alt text), and ids unique to the chart so several SVGs can share one page.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display, no GUI toolkit: this must run on servers and in Lambda

import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen first
from markupsafe import Markup, escape  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

TEXT = "#1f2933"
GRID = "#d9dee4"
#: Typed loosely: matplotlib's stubs want literal rc keys, and these are checked by matplotlib at run time.
STYLE: Any = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica"],
    "font.size": 10,
    "axes.edgecolor": GRID,
    "axes.labelcolor": TEXT,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlecolor": TEXT,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": GRID,
    "grid.linewidth": 0.6,
    "xtick.color": TEXT,
    "ytick.color": TEXT,
    "legend.frameon": False,
    "figure.facecolor": "white",
}


#: The smallest share of its drawn size a chart is shown at: 10 pt text stays at least 9 CSS px.
READABLE = 0.7
#: The width of a line chart's plot area in points, about, and of one character of its tick labels.
_PLOT_WIDTH_PT, _CHAR_PT = 700, 6.5


@dataclass(frozen=True, slots=True)
class Chart:
    """An inline SVG, or None with the note the page shows instead."""

    chart_id: str
    title: str
    alt: str
    svg: Markup | None
    note: str = ""


def figure(width: float, height: float, ncols: int = 1) -> tuple[Figure, Any]:
    # No layout engine: constrained layout lays every text out once more before drawing, about half of a
    # chart's time; ``fit_margins`` sizes the margins from the texts' measured widths instead.
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, ncols, figsize=(width, height))
    return fig, axes


#: Gaps in points: around the figure, between a tick label and its axis (tick + pad), a label and the ticks.
_EDGE_PT, _TICK_PT, _LABEL_GAP_PT = 6.0, 7.5, 5.0


def _text_size_pt(fig: Figure, text: Any) -> tuple[float, float]:
    """(width, height) in points of a matplotlib Text as it will be drawn, measured without drawing the figure."""
    if not text.get_visible() or not text.get_text():
        return 0.0, 0.0
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    width, height, _ = renderer.get_text_width_height_descent(text.get_text(), text.get_fontproperties(), ismath=False)
    scale = 72.0 / fig.dpi
    return width * scale, height * scale


def _widest_pt(fig: Figure, texts: Sequence[Any]) -> float:
    return max((_text_size_pt(fig, t)[0] for t in texts), default=0.0)


def _tallest_pt(fig: Figure, texts: Sequence[Any]) -> float:
    return max((_text_size_pt(fig, t)[1] for t in texts), default=0.0)


def fit_margins(fig: Figure, axes: Sequence[Any]) -> None:
    """Margins (and the gap between panels) just wide enough for the tick labels, axis labels, titles and the
    legend beside the last panel, from their measured sizes: what constrained layout did, at a fraction of its
    cost, for these charts' one row of panels."""
    width_pt, height_pt = fig.get_figwidth() * 72, fig.get_figheight() * 72
    lefts, bottoms, tops = [], [], []
    for ax in axes:
        y_ticks = _widest_pt(fig, ax.get_yticklabels())
        y_label = _tallest_pt(fig, [ax.yaxis.label])
        lefts.append(y_ticks + _TICK_PT + (y_label + _LABEL_GAP_PT if y_label else 0.0))
        x_ticks = _tallest_pt(fig, ax.get_xticklabels())
        x_label = _tallest_pt(fig, [ax.xaxis.label])
        bottoms.append(x_ticks + _TICK_PT + (x_label + _LABEL_GAP_PT if x_label else 0.0))
        title = _tallest_pt(fig, [ax.title])
        tops.append(title + 8.0 if title else _tallest_pt(fig, ax.get_yticklabels()) / 2)
    last = axes[-1]
    legend = last.get_legend()
    if legend is not None:
        font = legend.get_texts()[0].get_fontsize() if legend.get_texts() else 9.0
        # handle (2 em) + gap (0.8 em) + the widest entry + the space before the axes (0.5 em) and the edge
        right = _widest_pt(fig, legend.get_texts()) + font * (2.0 + 0.8 + 0.5 + 0.4)
    else:
        right = _widest_pt(fig, last.get_xticklabels()[-1:]) / 2
    left_pt, right_pt = lefts[0] + _EDGE_PT, right + _EDGE_PT
    bottom_pt, top_pt = max(bottoms) + _EDGE_PT, max(tops) + _EDGE_PT
    n = len(axes)
    gap_pt = max(lefts[1:], default=0.0) + 2 * _EDGE_PT
    panel_pt = (width_pt - left_pt - right_pt - gap_pt * (n - 1)) / n
    fig.subplots_adjust(
        left=left_pt / width_pt,
        right=1 - right_pt / width_pt,
        bottom=bottom_pt / height_pt,
        top=1 - top_pt / height_pt,
        wspace=gap_pt / panel_pt if n > 1 else None,
    )


def to_svg(fig: Figure, chart_id: str, title: str, alt: str) -> Markup:
    """The figure as an accessible, self-contained ``<svg>`` element."""
    buffer = io.StringIO()
    with plt.rc_context({**STYLE, "svg.hashsalt": chart_id}):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    text = buffer.getvalue()
    text = text[text.index("<svg") :]  # no XML declaration, no DOCTYPE (which names a URL)
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.DOTALL)
    # Ids unique per chart: matplotlib's clip-path ids are hashes, salted above; prefix them all to be sure.
    text = re.sub(r'id="([^"]+)"', rf'id="{chart_id}-\1"', text)
    text = re.sub(r"url\(#([^)]+)\)", rf"url(#{chart_id}-\1)", text)
    text = re.sub(r'xlink:href="#([^"]+)"', rf'xlink:href="#{chart_id}-\1"', text)
    # Scale with the page, but never beyond the drawn size (text would grow past the page's own):
    # keep the viewBox, replace the fixed size by a maximum width in CSS pixels (1 pt = 4/3 px).
    size = re.search(r'<svg[^>]*? width="([\d.]+)pt"', text)
    max_px = round(float(size.group(1)) * 4 / 3) if size else 900
    text = re.sub(r'<svg([^>]*?) width="[^"]+" height="[^"]+"', r"<svg\1", text, count=1)
    # and never narrower than READABLE of it: below that its text would be too small to read, and the chart
    # scrolls sideways in its box instead (a phone).
    head = (
        f'<svg role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" class="chart"'
        f' style="max-width: {max_px}px; min-width: {round(max_px * READABLE)}px"'
        ' preserveAspectRatio="xMidYMid meet"'
    )
    text = head + text[len("<svg") :]
    close = text.index(">") + 1
    accessible = f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(alt)}</desc>'
    return Markup(text[:close] + accessible + text[close:])


def no_data(chart_id: str, title: str, note: str) -> Chart:
    return Chart(chart_id, title, note, None, note)


def label_step(labels: Sequence[str], width_pt: float) -> int:
    """Show every n-th of ``labels`` so that they fit ``width_pt`` without touching (1: all of them)."""
    if not labels:
        return 1
    per_label = _CHAR_PT * max(len(label) for label in labels) + 18  # the text and a gap
    fitting = max(1, int(width_pt // per_label))
    return max(1, -(-len(labels) // fitting))


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
    fig, ax = figure(*size)
    positions = list(range(len(x_labels)))
    with plt.rc_context(STYLE):
        for name, values in series.items():
            ys = [float("nan") if v is None else (v * 100 if percent else v) for v in values]
            ax.plot(positions, ys, marker="o", markersize=3.5, linewidth=2, color=colours[name], label=name)
        # Every step-th label, the last one always: as many as fit side by side, however many days.
        step = label_step(x_labels, _PLOT_WIDTH_PT * size[0] / 11.5)
        shown = [i for i in positions if (len(positions) - 1 - i) % step == 0]
        ax.set_xticks(shown, [x_labels[i] for i in shown])
        ax.set_ylabel(y_label)
        ax.set_xlabel(x_label)
        if percent:
            # From a round 10 % below the lowest value to 100 %: differences of a few points stay visible.
            lowest = min((v for vs in series.values() for v in vs if v is not None), default=0.0) * 100
            ax.set_ylim(max(0.0, (lowest // 10) * 10 - 10), 100)
            ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0f} %")
        else:
            ax.set_ylim(bottom=0)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9)
        fit_margins(fig, [ax])
    return to_svg(fig, chart_id, title, alt)


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
    fig, axes = figure(*size, ncols=len(panels))
    axes = list(axes) if len(panels) > 1 else [axes]
    with plt.rc_context(STYLE):
        for ax, (panel, series) in zip(axes, panels.items(), strict=True):
            width = 0.8 / max(len(series), 1)
            for i, (name, values) in enumerate(series.items()):
                xs = [c + (i - (len(series) - 1) / 2) * width for c in range(len(categories))]
                ax.bar(xs, values, width=width, color=colours[name], label=name)
            ax.set_xticks(range(len(categories)), list(categories))
            ax.set_title(panel)
            ax.set_xlabel(x_label)
            ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0f} %")
            ax.grid(axis="x", visible=False)
        axes[0].set_ylabel(y_label)
        axes[-1].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9)
        fit_margins(fig, axes)
    return to_svg(fig, chart_id, title, alt)


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
    fig, ax = figure(*size)
    with plt.rc_context(STYLE):
        positions = list(range(len(labels)))[::-1]
        bars = ax.barh(positions, values, color=list(colours), height=0.7)
        ax.set_yticks(positions, list(labels))
        ax.bar_label(bars, labels=[value_format.format(v) for v in values], padding=3, fontsize=8.5, color=TEXT)
        ax.set_xlabel(x_label)
        ax.grid(axis="y", visible=False)
        ax.margins(x=0.15)
        ax.set_xlim(left=min([0.0, *values]) * 1.15)
        fit_margins(fig, [ax])
    return to_svg(fig, chart_id, title, alt)
