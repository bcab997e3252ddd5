"""Turn measured series into tables: one set of rows, rendered as Markdown (docs) and as rich tables (stdout)."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table

from measure import Series
from workload import Workload

#: The project's transform target: flightpipe's throughput relative to DuckDB's plain conversion.
TARGET_RATIO = 0.85


@dataclass(frozen=True, slots=True)
class Contender:
    slug: str
    task: str
    name: str
    what: str


CONTENDERS: tuple[Contender, ...] = (
    Contender(
        "flightpipe",
        "transform-flightpipe",
        "flightpipe transform",
        "`transform_raw_object` per raw file: pyarrow JSON reader with an explicit schema, vectorised "
        "normalisation (UTC times, codes, status, quality reasons), typed Parquet + quarantine",
    ),
    Contender(
        "naive",
        "transform-naive",
        "naive pandas",
        "per file `json.load`, `pandas.json_normalize` of every page's `data` records, "
        "`DataFrame.to_parquet(engine='pyarrow')`",
    ),
    Contender(
        "duckdb",
        "transform-duckdb",
        "DuckDB plain",
        "per file `COPY (SELECT * FROM read_json('<file>')) TO '<out>.parquet' (FORMAT parquet)` on one "
        "connection: one nested row per envelope, no unnesting, no typing",
    ),
)


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

    @property
    def ratio(self) -> float:
        """flightpipe records/s over DuckDB-plain records/s (same records, so the inverse ratio of wall times)."""
        return self.transform["duckdb"].wall_s / self.transform["flightpipe"].wall_s

    @property
    def cpu_ratio(self) -> float:
        """The same ratio by CPU time: steadier than wall time when other work shares the machine's cores."""
        return self.transform["duckdb"].cpu_s / self.transform["flightpipe"].cpu_s


TRANSFORM_HEADER = [
    "contender",
    "runs",
    "wall s",
    "wall min-max",
    "records/s",
    "MB/s (raw JSON)",
    "CPU s",
    "peak RSS MB",
    "RSS before work MB",
    "Parquet out MB",
]
STAGE_HEADER = ["stage", "runs", "wall s", "wall min-max", "rows in", "rows/s", "out", "CPU s", "peak RSS MB"]


def transform_rows(results: Results) -> list[list[str]]:
    records, mb = results.workload.records, results.workload.raw_mb
    rows = []
    for contender in CONTENDERS:
        s = results.transform[contender.slug]
        rows.append(
            [
                contender.name,
                str(len(s.runs)),
                f"{s.wall_s:.2f}",
                f"{s.wall_min_s:.2f}-{s.wall_max_s:.2f}",
                f"{records / s.wall_s:,.0f}",
                f"{mb / s.wall_s:.1f}",
                f"{s.cpu_s:.2f}",
                f"{s.peak_rss_mb:.0f}",
                f"{s.base_rss_mb:.0f}",
                f"{results.transform_out_mb[contender.slug]:.1f}",
            ]
        )
    return rows


def stage_rows(results: Results) -> list[list[str]]:
    p, ld = results.process, results.load
    rows_in = p.count("rows_in")
    flights = p.count("flights_out")
    return [
        _stage_row("process", p, rows_in, f"{flights:,} flights"),
        _stage_row("load", ld, ld.count("rows_loaded"), f"{ld.count('rows_loaded'):,} fact rows"),
    ]


def _stage_row(name: str, s: Series, rows_in: int, out: str) -> list[str]:
    return [
        name,
        str(len(s.runs)),
        f"{s.wall_s:.2f}",
        f"{s.wall_min_s:.2f}-{s.wall_max_s:.2f}",
        f"{rows_in:,}",
        f"{rows_in / s.wall_s:,.0f}",
        out,
        f"{s.cpu_s:.2f}",
        f"{s.peak_rss_mb:.0f}",
    ]


def cpu_ratio_line(results: Results) -> str:
    return (
        f"By CPU time (user + system, less sensitive to other work on the machine): "
        f"flightpipe / DuckDB plain = {results.cpu_ratio:.2f}"
    )


def ratio_line(results: Results) -> str:
    verdict = "meets" if results.ratio >= TARGET_RATIO else "MISSES"
    return (
        f"flightpipe / DuckDB plain = {results.ratio:.2f} (records/s); target >= {TARGET_RATIO:.2f}: "
        f"{verdict} the target"
    )


def print_tables(console: Console, results: Results) -> None:
    title = "Transform (same raw files, one process each)"
    console.print(_rich_table(title, TRANSFORM_HEADER, transform_rows(results)))
    console.print(_rich_table("Process and load", STAGE_HEADER, stage_rows(results)))
    style = "bold green" if results.ratio >= TARGET_RATIO else "bold red"
    console.print(ratio_line(results), style=style)
    console.print(cpu_ratio_line(results))
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


def markdown(results: Results, command: str) -> str:
    w = results.workload
    spec = w.spec
    facts = "\n".join(f"| {k} | {v} |" for k, v in results.facts.items())
    contenders = "\n".join(f"- **{c.name}**: {c.what}." for c in CONTENDERS)
    notes = "\n".join(f"- {n}" for n in results.notes) or "- none"
    generated = "reused from an earlier run" if w.reused else f"rendered in {w.render_s:.0f} s"
    return f"""# Benchmarks

Generated by `{command}`; do not edit by hand, rerun `make bench`.

## Result

**{ratio_line(results)}.**
{cpu_ratio_line(results)}.

{_md_table(TRANSFORM_HEADER, transform_rows(results))}

{_md_table(STAGE_HEADER, stage_rows(results))}

Figures are the **median of {results.repeats} runs** per contender and stage (the `runs` column says how many ran;
the min-max column shows the spread). records/s and MB/s are the workload's {w.records:,} records and
{w.raw_mb:.1f} MB of raw JSON divided by the median wall time.

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

How:

- Every run is a **fresh Python process** (`bench/child.py`), so peak RSS (`ru_maxrss` at the end of the child)
  belongs to that contender alone; it includes the interpreter and the libraries the contender imports
  ("RSS before work" is the resident memory after imports, before the timed work).
- The timed region (`time.perf_counter`) is the work only: the loop over all files, or the stage call.
  Library imports and process start-up are outside it; one-time caches inside a library are inside it.
- CPU s is user + system time of the child during the timed region; above the wall time means more than one
  core was busy (DuckDB may use its own threads; flightpipe and pandas work on one). Below the wall time means
  the child waited: for the disk, or for a core taken by other work on the machine (see the load average).
- Runs are interleaved (flightpipe, naive, DuckDB, then again), and every raw file is read once before the first
  run, so no contender pays for a cold page cache that the others do not.
- Process: `process_flight_dates(store, all {spec.days} flight dates)` over flightpipe's transformed output (its
  last transform run), `processed/` removed before each run. rows in = transformed rows of those flight dates,
  rows out = flights (one row per physical flight).
- Load: a fresh `DuckDBWarehouse` file, `load_flight_date` for every flight date in order, the warehouse
  opened and closed inside the timed region.

## Machine

| fact | value |
|---|---|
{facts}

## Reproduce

```
make bench                                   # = .venv/bin/python bench/run.py --days 30 --out docs/benchmarks.md
.venv/bin/python bench/run.py --quick        # smoke run: 2 days, 1 run each, prints the tables only
```

`bench/README.md` explains the options; `bench/work/` (gitignored) keeps the rendered raw files between runs.
"""
