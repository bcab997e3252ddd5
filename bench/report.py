"""Turn measured series into tables: one set of rows, rendered as Markdown (docs) and as rich tables (stdout).

Every verdict ("met" / "not met") is computed here from the figures of the same run; nothing is claimed that
the figures do not show.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table

from measure import Series
from workload import Workload

#: Issue 17's targets, measured by ``make bench``.
TRANSFORM_TARGET = 0.85  # flightpipe records/s over DuckDB's typed one-statement conversion
RAW_TO_WAREHOUSE_TARGET = 1.5  # flightpipe wall over DuckDB's three statements, 30 days of 5 airports
YEAR_WALL_TARGET_S = 60.0
YEAR_RSS_TARGET_MB = 2048.0
DAILY_OVERHEAD_TARGET_S = 1.5  # a daily run beyond the source's own time
HELP_TARGET_S = 0.3
DAYS_PER_YEAR = 365
#: "Memory flat in the number of days": the peak with several times the days at most this much higher (memory
#: proportional to the days would be 3x for 3x the days).
FLAT_MEMORY_GROWTH = 1.25


@dataclass(frozen=True, slots=True)
class Contender:
    slug: str
    task: str
    name: str
    what: str


#: The reference every ratio is taken against: what a competent engineer would write with DuckDB.
REFERENCE = "duckdb-typed"
#: flightpipe's batch path, the one issue 17's transform target is judged on.
BATCH = "flightpipe-batch"

CONTENDERS: tuple[Contender, ...] = (
    Contender(
        "flightpipe",
        "transform-flightpipe",
        "flightpipe transform",
        "`transform_raw_object` per raw file, as the daily run and Lambda call it: pyarrow JSON reader with an "
        "explicit schema, vectorised normalisation (UTC times, codes, status, quality reasons), quality rules, "
        "one typed Parquet file per raw file + quarantine",
    ),
    Contender(
        BATCH,
        "transform-flightpipe-batch",
        "flightpipe batch transform",
        "`TransformWorkers` as reprocess runs them (one batch per collection day): one process per core, the "
        "calling one and forked ones (start-up inside the timed region), each transforming many raw files per "
        "vectorised pass (`transform_raw_objects`); the same Parquet twin and quarantine file per raw file as the "
        "per-file path, byte for byte",
    ),
    Contender(
        REFERENCE,
        "transform-duckdb-typed",
        "DuckDB typed, one statement",
        "one `COPY (SELECT ...) TO '<out>.parquet'` over all raw files: `read_json` of every envelope with an "
        "explicit schema, pages and records unnested, codes upper-cased, statuses mapped, wall times converted "
        "to UTC in the record's zone (ICU `timezone()`), lineage columns; the same column names and types as "
        "flightpipe's `TRANSFORMED_SCHEMA` (checked on the output); one Parquet file (`bench/alternatives.py`)",
    ),
    Contender(
        "pyarrow",
        "transform-pyarrow-typed",
        "pyarrow typed",
        "per file pyarrow's JSON reader with the explicit record type and flightpipe's vectorised aviationstack "
        "normaliser (the same mapping), all rows concatenated and written as one Parquet file: no store, no "
        "quality rules, no quarantine, no per-file output",
    ),
    Contender(
        "naive",
        "transform-naive",
        "naive pandas",
        "per file `json.load`, `pandas.json_normalize` of every page's `data` records, "
        "`DataFrame.to_parquet(engine='pyarrow')`: untyped (strings and floats), local times, the usual first version",
    ),
)


@dataclass(slots=True)
class YearRun:
    """The longer workload (default 90 days), a few runs each (the median is used), from which a year is
    extrapolated."""

    workload: Workload
    flightpipe: Series
    duckdb: Series


@dataclass(slots=True)
class Results:
    workload: Workload
    facts: dict[str, str]
    repeats: int
    transform: dict[str, Series]
    transform_out_mb: dict[str, float]
    process: Series
    load: Series
    notes: list[str] = field(default_factory=list)
    #: raw -> warehouse on the main workload: "flightpipe" and "duckdb" (three statements)
    raw_to_warehouse: dict[str, Series] = field(default_factory=dict)
    #: what "flightpipe" above ran: ``reprocess_range`` (the batch path) or its stage functions in a row
    flightpipe_path: str = "stage functions"
    batch_transform: str = "not available on this commit"
    year: YearRun | None = None
    daily: Series | None = None
    #: Daily runs in a data folder holding the year workload's days (``daily.measure_daily_with_history``).
    daily_history: Series | None = None
    help: Series | None = None

    @property
    def ratio(self) -> float:
        """flightpipe records/s over DuckDB typed records/s (same records, so the inverse ratio of wall times)."""
        return self.transform[REFERENCE].wall_s / self.transform["flightpipe"].wall_s

    @property
    def cpu_ratio(self) -> float:
        """The same ratio by CPU time: steadier than wall time when other work shares the machine's cores."""
        return self.transform[REFERENCE].cpu_s / self.transform["flightpipe"].cpu_s

    def ratios(self, slug: str) -> tuple[float, float]:
        """Contender ``slug``'s records/s over DuckDB typed's, by wall and by CPU time."""
        ref, s = self.transform[REFERENCE], self.transform[slug]
        return ref.wall_s / s.wall_s, ref.cpu_s / s.cpu_s


TRANSFORM_HEADER = [
    "contender",
    "runs",
    "wall s",
    "wall min-max",
    "records/s",
    "MB/s (raw JSON)",
    "CPU s",
    "records/s ÷ DuckDB (wall)",
    "÷ DuckDB (CPU)",
    "peak RSS MB",
    "RSS before work MB",
    "Parquet out MB",
]


def transform_rows(results: Results) -> list[list[str]]:
    records, mb = results.workload.records, results.workload.raw_mb
    ref = results.transform[REFERENCE]
    rows = []
    for contender in CONTENDERS:
        if contender.slug not in results.transform:
            continue
        s = results.transform[contender.slug]
        rows.append(
            [
                contender_label(contender, s),
                str(len(s.runs)),
                f"{s.wall_s:.2f}",
                f"{s.wall_min_s:.2f}-{s.wall_max_s:.2f}",
                f"{records / s.wall_s:,.0f}",
                f"{mb / s.wall_s:.1f}",
                f"{s.cpu_s:.2f}",
                f"{ref.wall_s / s.wall_s:.2f}",
                f"{ref.cpu_s / s.cpu_s:.2f}",
                f"{s.peak_rss_mb:.0f}",
                f"{s.base_rss_mb:.0f}",
                f"{results.transform_out_mb.get(contender.slug, 0.0):.1f}",
            ]
        )
    return rows


def contender_label(contender: Contender, s: Series) -> str:
    """The contender's name, with the number of processes where it used several (and how they started)."""
    counts = s.runs[0].counts if s.runs else {}
    if not counts.get("workers"):
        return contender.name
    started = {1: " (forked)", 0: " (spawned)"}.get(counts["forked"], "") if "forked" in counts else ""
    return f"{contender.name}, {counts['workers']} processes{started}"


STAGE_HEADER = [
    "stage",
    "runs",
    "wall s",
    "wall min-max",
    "rows in",
    "rows/s",
    "Parquet in MB",
    "MB/s (Parquet in)",
    "out",
    "CPU s",
    "peak RSS MB",
]


def stage_rows(results: Results) -> list[list[str]]:
    p, ld = results.process, results.load
    rows_in = p.count("rows_in")
    flights = p.count("flights_out")
    return [
        _stage_row("process", p, rows_in, f"{flights:,} flights"),
        _stage_row("load", ld, ld.count("rows_loaded"), f"{ld.count('rows_loaded'):,} fact rows"),
    ]


def _stage_row(name: str, s: Series, rows_in: int, out: str) -> list[str]:
    # MB/s is against the Parquet files the stage reads (sized by the child before its timed work), the stage's
    # counterpart of the transform's raw JSON MB/s.
    input_mb = s.count("input_bytes") / 1e6
    return [
        name,
        str(len(s.runs)),
        f"{s.wall_s:.2f}",
        f"{s.wall_min_s:.2f}-{s.wall_max_s:.2f}",
        f"{rows_in:,}",
        f"{rows_in / s.wall_s:,.0f}",
        f"{input_mb:.1f}",
        f"{input_mb / s.wall_s:.1f}",
        out,
        f"{s.cpu_s:.2f}",
        f"{s.peak_rss_mb:.0f}",
    ]


RAW_HEADER = [
    "raw -> warehouse",
    "days",
    "raw files",
    "runs",
    "wall s",
    "wall min-max",
    "CPU s",
    "peak RSS MB",
    "wall ÷ DuckDB",
]


def raw_to_warehouse_rows(results: Results) -> list[list[str]]:
    runs = results.raw_to_warehouse
    if "flightpipe" not in runs or "duckdb" not in runs:
        return []
    w, duck = results.workload, runs["duckdb"]
    names = {"flightpipe": f"flightpipe ({results.flightpipe_path})", "duckdb": "DuckDB, three statements"}
    return [
        [
            names[slug],
            str(w.spec.days),
            str(len(w.files)),
            str(len(s.runs)),
            f"{s.wall_s:.2f}",
            f"{s.wall_min_s:.2f}-{s.wall_max_s:.2f}",
            f"{s.cpu_s:.2f}",
            f"{s.peak_rss_mb:.0f}",
            f"{s.wall_s / duck.wall_s:.2f}",
        ]
        for slug, s in runs.items()
    ]


PHASE_HEADER = ["phase", "flightpipe wall s", "DuckDB wall s", "flightpipe ÷ DuckDB"]

#: flightpipe's phases beside the DuckDB statement doing the same work (quality has none).
PHASES = (
    ("transform", "transform: raw JSON -> typed rows (flightpipe: waiting for its worker processes)"),
    ("process", "process: dedup into flights (flightpipe: its passes, while the workers go on)"),
    ("quality", "quality: board and flight-date rules, the gate (flightpipe only)"),
    ("load", "load: the warehouse tables"),
)


def phase_rows(results: Results) -> list[list[str]]:
    """Median wall seconds per phase: flightpipe's from its reprocess result (this process's time, so the
    transform is the wait for the workers and process/quality overlap it), DuckDB's per statement."""
    runs = results.raw_to_warehouse
    if "flightpipe" not in runs or "duckdb" not in runs or runs["flightpipe"].phase_s("load") is None:
        return []
    rows = []
    for name, label in PHASES:
        mine, duck = runs["flightpipe"].phase_s(name), runs["duckdb"].phase_s(name)
        rows.append(
            [
                label,
                "-" if mine is None else f"{mine:.2f}",
                "-" if duck is None else f"{duck:.2f}",
                f"{mine / duck:.2f}" if mine is not None and duck else "-",
            ]
        )
    return rows


YEAR_HEADER = [
    "raw -> warehouse",
    "days measured",
    "records",
    "wall s",
    "CPU s",
    "peak RSS MB",
    "a year: wall s (extrapolated)",
    "a year: CPU s (extrapolated)",
]


def year_rows(results: Results) -> list[list[str]]:
    year = results.year
    if year is None:
        return []
    days = year.workload.spec.days
    scale = DAYS_PER_YEAR / days
    rows = []
    for name, s in (
        (f"flightpipe ({results.flightpipe_path})", year.flightpipe),
        ("DuckDB, three statements", year.duckdb),
    ):
        rows.append(
            [
                name,
                str(days),
                f"{year.workload.records:,}",
                f"{s.wall_s:.1f}",
                f"{s.cpu_s:.1f}",
                f"{s.peak_rss_mb:.0f}",
                f"{s.wall_s * scale:.0f}",
                f"{s.cpu_s * scale:.0f}",
            ]
        )
    return rows


DAILY_HEADER = [
    "command",
    "runs",
    "wall s",
    "wall min-max",
    "collect span s",
    "opening the source s",
    "beyond the source s (wall - collect - opening)",
    "beyond the collect span s",
    "start-up s (to 'run started')",
    "after the last step s (report)",
    "of which the report s",
    "CPU s",
    "peak RSS MB",
]


def daily_rows(results: Results) -> list[list[str]]:
    rows = []
    if results.daily is not None:
        rows.append(_daily_row("flightpipe run (simulated source)", results.daily))
    if results.daily_history is not None and results.year is not None:
        label = f"flightpipe run after {results.year.workload.spec.days} days of history"
        rows.append(_daily_row(label, results.daily_history))
    h = results.help
    if h is not None:
        rows.append(
            [
                "flightpipe --help",
                str(len(h.runs)),
                f"{h.wall_s:.3f}",
                f"{h.wall_min_s:.3f}-{h.wall_max_s:.3f}",
                "-",
                "-",
                "-",
                "-",
                "-",
                "-",
                f"{h.cpu_s:.3f}",
                f"{h.peak_rss_mb:.0f}",
            ]
        )
    return rows


def _daily_row(label: str, d: Series) -> list[str]:
    return [
        label,
        str(len(d.runs)),
        f"{d.wall_s:.2f}",
        f"{d.wall_min_s:.2f}-{d.wall_max_s:.2f}",
        f"{_median_count(d, 'source_ms') / 1000:.2f}",
        _optional_s(d, "source_open_ms"),
        _optional_s(d, "beyond_source_ms"),
        f"{_median_count(d, 'overhead_ms') / 1000:.2f}",
        f"{_median_count(d, 'startup_ms') / 1000:.2f}",
        f"{_median_count(d, 'after_steps_ms') / 1000:.2f}",
        _optional_s(d, "report_ms"),
        f"{d.cpu_s:.2f}",
        f"{d.peak_rss_mb:.0f}",
    ]


def _optional_s(d: Series, name: str) -> str:
    """The median of count ``name`` (milliseconds) in seconds, where every run has it."""
    return f"{_median_count(d, name) / 1000:.2f}" if all(name in r.counts for r in d.runs) else "-"


def beyond_source_s(d: Series) -> float:
    """The daily run's time beyond the source's own (collect span and opening, where the runs log the opening;
    else beyond the collect span alone)."""
    name = "beyond_source_ms" if all("beyond_source_ms" in r.counts for r in d.runs) else "overhead_ms"
    return _median_count(d, name) / 1000


def _median_count(s: Series, name: str) -> float:
    import statistics

    return statistics.median(r.counts[name] for r in s.runs)


@dataclass(frozen=True, slots=True)
class Target:
    what: str
    figure: str
    met: bool | None  # None: not measured in this run

    @property
    def verdict(self) -> str:
        return "not measured" if self.met is None else ("met" if self.met else "**not met**")


def targets(results: Results) -> list[Target]:
    """Issue 17's targets, each judged by this run's figures."""
    found = [transform_target(results)]
    runs = results.raw_to_warehouse
    if "flightpipe" in runs and "duckdb" in runs:
        r = runs["flightpipe"].wall_s / runs["duckdb"].wall_s
        found.append(
            Target(
                f"reprocess {results.workload.spec.days} days of {len(results.workload.spec.airports)} airports: "
                f"wall <= {RAW_TO_WAREHOUSE_TARGET}x DuckDB's three statements",
                f"{_ratio(r, RAW_TO_WAREHOUSE_TARGET)}x ({runs['flightpipe'].wall_s:.1f} s against "
                f"{runs['duckdb'].wall_s:.1f} s; flightpipe ran "
                f"{results.flightpipe_path})",
                r <= RAW_TO_WAREHOUSE_TARGET,
            )
        )
    else:
        found.append(Target(f"reprocess 30 days <= {RAW_TO_WAREHOUSE_TARGET}x DuckDB's three statements", "-", None))
    if results.year is not None:
        y = results.year
        scale = DAYS_PER_YEAR / y.workload.spec.days
        wall = y.flightpipe.wall_s * scale
        found.append(
            Target(
                f"a year <= {YEAR_WALL_TARGET_S:.0f} s wall",
                f"{wall:.0f} s, extrapolated from {y.workload.spec.days} measured days ({y.flightpipe.wall_s:.1f} s"
                + (f", median of {len(y.flightpipe.runs)} runs)" if len(y.flightpipe.runs) > 1 else ")"),
                wall <= YEAR_WALL_TARGET_S,
            )
        )
        found.append(year_memory_target(results, y))
    else:
        found.append(Target(f"a year <= {YEAR_WALL_TARGET_S:.0f} s wall and <= 2 GB peak", "-", None))
    found.append(flat_memory_target(results))
    if results.daily is not None:
        d = results.daily
        beyond = beyond_source_s(d)
        parts = f"wall {d.wall_s:.2f} s - collect span {_median_count(d, 'source_ms') / 1000:.2f} s"
        if all("source_open_ms" in r.counts for r in d.runs):
            parts += (
                f" - opening the simulated source {_median_count(d, 'source_open_ms') / 1000:.2f} s; "
                f"{_median_count(d, 'overhead_ms') / 1000:.2f} s beyond the collect span alone"
            )
        found.append(
            Target(
                f"daily run <= {DAILY_OVERHEAD_TARGET_S} s beyond the source's own time",
                f"{beyond:.2f} s (medians of {len(d.runs)}: {parts})",
                beyond <= DAILY_OVERHEAD_TARGET_S,
            )
        )
    else:
        found.append(Target(f"daily run <= {DAILY_OVERHEAD_TARGET_S} s beyond the source", "-", None))
    if results.help is not None:
        found.append(
            Target(
                f"`flightpipe --help` under {HELP_TARGET_S} s",
                f"{results.help.wall_s:.3f} s (median of {len(results.help.runs)}, whole process)",
                results.help.wall_s < HELP_TARGET_S,
            )
        )
    else:
        found.append(Target(f"`flightpipe --help` under {HELP_TARGET_S} s", "-", None))
    return found


def _ratio(value: float, target: float) -> str:
    """``value`` to two decimals, or three where two would read as the target itself (1.503 is not met, and
    "1.50x: not met" would say otherwise)."""
    text = f"{value:.2f}"
    return f"{value:.3f}" if float(text) == target and value != target else text


def year_memory_target(results: Results, y: YearRun) -> Target:
    """The year's peak, extrapolated along the line through the 30 and 90 days' peaks when both were measured
    (an upper bound if memory is flat: the line keeps rising), else the measured peak alone, said so."""
    what = f"a year <= {YEAR_RSS_TARGET_MB / 1024:.0f} GB peak"
    measured = f"{y.flightpipe.peak_rss_mb:,.0f} MB over {y.workload.spec.days} days"
    short = results.raw_to_warehouse.get("flightpipe")
    days, long_days = results.workload.spec.days, y.workload.spec.days
    if short is None or not short.runs or long_days <= days:
        return Target(what, f"{measured} (a year not extrapolated)", y.flightpipe.peak_rss_mb <= YEAR_RSS_TARGET_MB)
    per_day = max(0.0, (y.flightpipe.peak_rss_mb - short.peak_rss_mb) / (long_days - days))
    year = y.flightpipe.peak_rss_mb + per_day * (DAYS_PER_YEAR - long_days)
    return Target(
        what,
        f"{year:,.0f} MB extrapolated: {measured}, {short.peak_rss_mb:,.0f} MB over {days}, so {per_day:.1f} MB "
        "a day more, carried on to 365 days (an upper bound where memory levels off)",
        year <= YEAR_RSS_TARGET_MB,
    )


def flat_memory_target(results: Results) -> Target:
    """Peak memory against the number of days: a reprocess of the year workload's days against the main
    workload's, and a daily run in a folder holding the year workload's days against one holding one day."""
    what = f"memory flat in the number of days (at most {FLAT_MEMORY_GROWTH:.2f}x the peak for several times the days)"
    figures: list[str] = []
    growths: list[float] = []
    short, y = results.raw_to_warehouse.get("flightpipe"), results.year
    if short is not None and short.runs and y is not None and y.workload.spec.days > results.workload.spec.days:
        growth = y.flightpipe.peak_rss_mb / short.peak_rss_mb
        growths.append(growth)
        figures.append(
            f"reprocess {growth:.2f}x ({short.peak_rss_mb:,.0f} MB for {results.workload.spec.days} days, "
            f"{y.flightpipe.peak_rss_mb:,.0f} MB for {y.workload.spec.days})"
        )
    d, h = results.daily, results.daily_history
    if d is not None and h is not None and y is not None:
        growth = h.peak_rss_mb / d.peak_rss_mb
        growths.append(growth)
        figures.append(
            f"daily run {growth:.2f}x ({d.peak_rss_mb:,.0f} MB after 1 day of history, {h.peak_rss_mb:,.0f} MB "
            f"after {y.workload.spec.days})"
        )
    if len(growths) < 2:
        return Target(what, "; ".join(figures) or "-", None)
    return Target(what, "; ".join(figures), max(growths) <= FLAT_MEMORY_GROWTH)


def transform_target(results: Results) -> Target:
    """Judged on the batch path's own row when this run measured it; else said to be the per-file path."""
    what = f"transform >= {TRANSFORM_TARGET:.2f}x DuckDB typed one statement (records/s) on the batch path"
    per_file_wall, per_file_cpu = results.ratios("flightpipe")
    if BATCH not in results.transform:
        batch = not results.batch_transform.startswith("not available")
        return Target(
            what,
            f"{per_file_wall:.2f}x by wall, {per_file_cpu:.2f}x by CPU ("
            + (
                "per-file path, one process; the batch path was not measured on its own in this run"
                if batch
                else "per-file path: the batch path is not on this commit"
            )
            + ")",
            per_file_wall >= TRANSFORM_TARGET,
        )
    wall, cpu = results.ratios(BATCH)
    label = contender_label(next(c for c in CONTENDERS if c.slug == BATCH), results.transform[BATCH])
    return Target(
        what,
        f"{_ratio(wall, TRANSFORM_TARGET)}x by wall, {cpu:.2f}x by CPU (measured: {label}, `TransformWorkers`; the "
        "per-file path "
        f"in one process: {per_file_wall:.2f}x by wall, {per_file_cpu:.2f}x by CPU)",
        wall >= TRANSFORM_TARGET,
    )


TARGET_HEADER = ["target (issue 17)", "this run", "verdict"]


def target_rows(results: Results) -> list[list[str]]:
    return [[t.what, t.figure, t.verdict] for t in targets(results)]


TRANSFORM_TITLE = "Transform (same raw files; one process each unless the row names more)"


def print_transform(console: Console, results: Results) -> None:
    """The transform table and its target alone (``bench/run.py --transform-only``)."""
    console.print(_rich_table(TRANSFORM_TITLE, TRANSFORM_HEADER, transform_rows(results)))
    target = transform_target(results)
    console.print(_rich_table("Target", TARGET_HEADER, [[target.what, target.figure, target.verdict]]))
    for note in results.notes:
        console.print(f"note: {note}", style="yellow")


def print_tables(console: Console, results: Results) -> None:
    console.print(_rich_table(TRANSFORM_TITLE, TRANSFORM_HEADER, transform_rows(results)))
    console.print(_rich_table("Process and load (flightpipe)", STAGE_HEADER, stage_rows(results)))
    if raw_to_warehouse_rows(results):
        console.print(_rich_table("Raw -> warehouse", RAW_HEADER, raw_to_warehouse_rows(results)))
    if phase_rows(results):
        console.print(_rich_table("Raw -> warehouse by phase", PHASE_HEADER, phase_rows(results)))
    if year_rows(results):
        console.print(_rich_table("A year, extrapolated", YEAR_HEADER, year_rows(results)))
    if daily_rows(results):
        console.print(_rich_table("Daily run and --help", DAILY_HEADER, daily_rows(results)))
    table = _rich_table("Targets", TARGET_HEADER, target_rows(results))
    console.print(table)
    for note in results.notes:
        console.print(f"note: {note}", style="yellow")


def _rich_table(title: str, header: list[str], rows: list[list[str]]) -> Table:
    table = Table(title=title)
    for i, name in enumerate(header):
        table.add_column(name, justify="left" if i == 0 else "right", no_wrap=i == 0)
    for row in rows:
        table.add_row(*row)
    return table


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    align = "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"
    lines = ["| " + " | ".join(header) + " |", align]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _optional(title: str, header: list[str], rows: list[list[str]], text: str) -> str:
    if not rows:
        return ""
    return f"\n### {title}\n\n{_md_table(header, rows)}\n\n{text}\n"


def _times(runs: int) -> str:
    """How often the year's days were measured, as the report says it."""
    return "Measured once each" if runs == 1 else f"Medians of {runs} runs each, interleaved,"


def markdown(results: Results, command: str) -> str:
    w = results.workload
    spec = w.spec
    facts = "\n".join(f"| {k} | {v} |" for k, v in results.facts.items())
    contenders = "\n".join(f"- **{c.name}**: {c.what}." for c in CONTENDERS if c.slug in results.transform)
    notes = "\n".join(f"- {n}" for n in results.notes) or "- none"
    generated = "reused from an earlier run" if w.reused else f"rendered in {w.render_s:.0f} s"
    year = results.year
    year_text = ""
    if year is not None:
        year_text = (
            f"{_times(len(year.flightpipe.runs))} on {year.workload.spec.days} days "
            f"({len(year.workload.files)} raw files, "
            f"{year.workload.records:,} records, {year.workload.raw_mb:.0f} MB of raw JSON, from "
            f"{year.workload.spec.dates[0]}); **the year columns are that figure x {DAYS_PER_YEAR}/"
            f"{year.workload.spec.days}, an extrapolation, not a measurement** (it assumes time linear in days)."
        )
    raw_text = (
        f"Both from the same {len(w.files)} raw files to warehouse tables, fresh output each run. "
        f"flightpipe ran {results.flightpipe_path}"
        + (
            " (`flightpipe.pipeline.reprocess.reprocess_range`)."
            if results.flightpipe_path == "reprocess"
            else ": `flightpipe reprocess` (`flightpipe.pipeline.reprocess`) is not available on this commit, so "
            "this is its stage functions in a row in one process: `transform_raw_object` per raw file, "
            "`process_flight_dates` over all flight dates, `load_flight_date` per flight date into a fresh DuckDB "
            "warehouse."
        )
        + " DuckDB: (1) `CREATE TABLE transformed_rows AS` the typed one-statement select above, (2) `CREATE TABLE "
        "processed AS` the project's own `stages/process.sql` limited to the flight dates, (3) `fact_flights` and "
        "`flight_codeshares` from it; one DuckDB file, DuckDB's own threads."
    )
    daily_text = (
        "A daily run: the whole `flightpipe run --date <day>` process on the simulated source (start-up, imports,"
        " collect, transform, quality, process, load, report, exit), in a fresh data folder in which the day "
        "before has just run (unmeasured; it also writes the package's bytecode, which an installed flightpipe "
        "has from pip, so no measured run compiles Python). The collect span is the span of the collect "
        "steps in the run's JSON log (first start to last end: the boards are collected side by side). "
        "Start-up is the time from starting the process to the log's "
        "'run started'; after the last step is the time from the last step's end to 'run succeeded' (the HTML "
        "report and the run's bookkeeping); of which the report is what the run logs as the report's own time "
        "(its imports, queries and page, 'report written'). Opening the source is logged as 'source opened': the "
        "simulated source renders its season's schedule there, the work an API's servers do (an API source only "
        "configures its client), so it is the source's own time too, and the target is judged on the time beyond "
        "both (wall - collect span - opening); the time beyond the collect span alone is shown beside it. After "
        "N days of history: the same command, on the days after the year workload's, one after"
        " the other, in a copy of the data folder its reprocess left (layers, warehouse, ledger and quality "
        "history of those days), so the report, the volume history and the warehouse hold N days. "
        "`flightpipe --help`: the whole process, wall time, after one unmeasured run."
    )
    sections = (
        _optional(
            "Raw to warehouse: flightpipe against DuckDB's three statements",
            RAW_HEADER,
            raw_to_warehouse_rows(results),
            raw_text,
        )
        + _optional(
            "Raw to warehouse by phase",
            PHASE_HEADER,
            phase_rows(results),
            "Medians of the same runs. flightpipe's figures are the wall time of the process that runs the "
            "reprocess (`ReprocessResult.phases`): its transform runs in worker processes, and it processes and "
            "checks the flight dates that are complete while they go on, so its transform figure is the time it "
            "waited for them, and the phases add up to its wall time (less set-up). DuckDB's are its three "
            "statements, timed one by one.",
        )
        + _optional("A year", YEAR_HEADER, year_rows(results), year_text)
        + _optional("Daily run and `--help`", DAILY_HEADER, daily_rows(results), daily_text)
    )
    return f"""# Benchmarks

Generated by `{command}`; do not edit by hand, rerun `make bench`.

## Targets

Issue 17's targets, each judged by the figures of this one run:

{_md_table(TARGET_HEADER, target_rows(results))}

The reference for every ratio is **DuckDB typed, one statement**: what a competent engineer would write with
DuckDB, producing flightpipe's own typed columns. The earlier reference, "DuckDB plain" (one `read_json` per
file, schema inferred per call, nothing unnested or typed), is gone: it was about 7x slower than one statement
and so made any target easy.

## Transform

{_md_table(TRANSFORM_HEADER, transform_rows(results))}

records/s and MB/s are the workload's {w.records:,} records and {w.raw_mb:.1f} MB of raw JSON divided by the
median wall time; "÷ DuckDB" is the contender's records/s over DuckDB typed's (wall) and the same by CPU time.
flightpipe's batch transform (`flightpipe.stages.transform_batch`): {results.batch_transform}.

## Process and load (flightpipe's stages)

{_md_table(STAGE_HEADER, stage_rows(results))}

Process and load: rows/s is the rows in, MB/s the
bytes of the Parquet files the stage reads (process: the transformed files of the flight dates' collection
window; load: the processed partition of every flight date), both divided by the median wall time.
Parquet is compressed and columnar, so a stage's MB/s is not comparable with the transform's MB/s of raw JSON.
{sections}
Figures are the **median of the runs** the `runs` column counts (the min-max column shows the spread).

Notes:

{notes}

## Workload

- {spec.days} collection days from {spec.dates[0]} to {spec.dates[-1]}, airports {", ".join(spec.airports)}, boards
  departures and arrivals: **{len(w.files)} raw envelopes, {w.records:,} records, {w.raw_mb:.1f} MB of raw JSON**.
- Rendered by flightpipe's `collect_board` from `SimulatedSource(seed={spec.seed}, page_size={spec.page_size},
  scale={spec.scale})` with `as_of` = {spec.as_of.isoformat()} (every flight has landed, so boards are final),
  into `bench/work/{spec.dirname}/`, {generated}. A manifest of the parameters and a hash of the
  simulator's source decides whether a later run reuses the files.
- The window crosses the European switch to summer time (30 March), which the transform's time zones must handle.

## What is measured and how

Transform contenders, all on the same raw files, in the same (sorted) order, each writing to its own folder:

{contenders}

DuckDB typed differs from flightpipe's output where flightpipe does more: it trusts the record's time zone
(flightpipe prefers the reference zone of the airport, so the simulator's wrong-zone records come out
differently), leaves `zone_disagreement_min` null and has no quarantine (this workload has no bad records).

How:

- Every run is a **fresh Python process** (`bench/child.py`), so peak RSS (`ru_maxrss` at the end of the child)
  belongs to that contender alone; it includes the interpreter and the libraries the contender imports
  ("RSS before work" is the resident memory after imports, before the timed work).
- The timed region (`time.perf_counter`) is the work only: the loop over all files, or the stage call.
  Library imports and process start-up are outside it; one-time caches inside a library are inside it.
  The daily run and `--help` are the exception: they are whole commands, timed from outside (`os.wait4`).
- flightpipe's bytecode is compiled before the first run (`compileall`), as pip leaves an installed package: no
  child compiles Python inside its timed region (the batch transform's worker, when spawned, starts inside it).
- CPU s is user + system time of the child during the timed region; above the wall time means more than one
  core was busy (DuckDB uses its own threads; flightpipe's transform and pandas work on one). Below the wall
  time means the child waited: for the disk, or for a core taken by other work on the machine (see the load
  average).
- Runs are interleaved (every contender once, then again), and every raw file is read once before the first
  run, so no contender pays for a cold page cache that the others do not.
- Process: `process_flight_dates(store, all {spec.days} flight dates)` over flightpipe's transformed output (its
  last transform run), `processed/` removed before each run.
- Load: a fresh `DuckDBWarehouse` file, `load_flight_date` for every flight date in order, the warehouse
  opened and closed inside the timed region.

## Machine

| fact | value |
|---|---|
{facts}

## Reproduce

```
make bench                            # = .venv/bin/python bench/run.py --days 30 --out docs/benchmarks.md
.venv/bin/python bench/run.py --quick # smoke run: 2 days, 1 run each, prints the tables only
```

`bench/README.md` explains the options; `bench/work/` (gitignored) keeps the rendered raw files between runs.
"""
