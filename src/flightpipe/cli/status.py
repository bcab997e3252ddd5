"""``flightpipe status``: the last run per day, steps, duration trend, next run, problems (rich tables)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from flightpipe.cli import options
from flightpipe.cli.options import ConfigOption
from flightpipe.cli.output import console, fits
from flightpipe.core.clock import utc_now
from flightpipe.core.errors import ConfigError

if TYPE_CHECKING:
    from flightpipe.monitoring.status import DayStatus, StatusReport
    from flightpipe.state.alerts import SentAlert

#: Below this many columns each alert is a block of lines: a table of six columns squeezed its summary to a word a line.
WIDE_ALERTS = 120

_COLOUR = {"succeeded": "green", "partial": "yellow", "running": "cyan", "missing": "red", "pending": "dim"}


def _state(state: str) -> str:
    return f"[{_COLOUR.get(state, 'red')}]{state}[/]"


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.1f} s"


def status(
    days: Annotated[int, typer.Option("--days", min=1, max=366, help="How many recent days to show.")] = 7,
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON.")] = False,
    config: ConfigOption = None,
) -> None:
    """Last run per day, steps, duration trend, next scheduled run, anything late or failing (exit 1 if so; exit 2
    before the first run)."""
    from flightpipe.monitoring.status import build_status

    settings = options.load(config)
    ledger = settings.resolved_ledger_path()
    if not ledger.exists():  # reading must not create the ledger (nor its folder)
        raise ConfigError(f"no runs yet ({ledger} does not exist): nothing to report; run `flightpipe run` first")
    report = build_status(
        settings.paths(),
        settings.alerts,
        settings.schedule,
        utc_now(),
        days=days,
        coverage=(list(settings.airports), [str(board) for board in settings.boards]),
    )
    if as_json:
        sys.stdout.write(report.to_json())
    else:
        render_status(report, console)
    if not report.healthy:
        raise typer.Exit(1)


def render_status(report: StatusReport, console: Console) -> None:
    health = "[green]healthy[/]" if report.healthy else f"[red]{len(report.problems)} problem(s)[/]"
    console.print(f"flightpipe status at {report.now}: {health}")
    if report.next_run:
        console.print(f"next scheduled run: {report.next_run} for {report.next_run_day}")

    wide = _days_wide(report.days)
    console.print(wide if fits(console, wide) else _days_narrow(report.days))

    if report.latest_run:
        stages = Table(title=f"steps of the latest run {report.latest_run}")
        for column in ("stage", "steps", "ok", "duration"):
            stages.add_column(column)
        for stage in report.latest_stages:
            ok = f"{stage.ok}" if stage.ok == stage.steps else f"[red]{stage.ok}[/]"
            stages.add_row(stage.stage, str(stage.steps), ok, _seconds(stage.duration_s))
        console.print(stages)

    if report.trend:
        latest = report.trend[-1].duration_s
        median = report.trend_median_s or latest
        change = (latest - median) / median if median else 0.0
        console.print(
            f"duration trend of the last {len(report.trend)} succeeded runs: {report.sparkline()}  "
            f"latest {latest:.1f} s, median {median:.1f} s ({change:+.0%})"
        )

    for problem in report.problems:
        console.print(f"[red]problem:[/] {problem}")
    if report.recent_alerts:
        if console.width >= WIDE_ALERTS:
            console.print(_alerts_wide(report.recent_alerts))
        else:
            _print_alerts_narrow(console, report.recent_alerts)


def _days_wide(rows: list[DayStatus]) -> Table:
    days = Table(title="last run per day")
    for column in ("day", "state", "run id", "kind", "runs", "steps ok", "records", "loaded", "duration", "late"):
        days.add_column(column, justify="right" if column in {"runs", "records", "loaded", "duration"} else "left")
    for row in rows:
        days.add_row(
            row.day,
            _state(row.state) + (" (day complete)" if _complete(row) else ""),
            row.run_id or "",
            row.kind or "",
            str(row.runs or ""),
            _steps(row),
            _count(row.records_collected),
            _count(row.rows_loaded),
            _seconds(row.duration_s),
            "[red]late[/]" if row.late else "",
        )
    return days


def _days_narrow(rows: list[DayStatus]) -> Table:
    """Two values a cell (as ``flightpipe runs`` at 80 columns), the run id whole: about 62 columns."""
    days = Table(title="last run per day")
    for column in ("day\nkind", "state\nduration", "run id\nruns", "steps\nok", "records\nloaded"):
        days.add_column(
            column,
            justify="right" if column.startswith("records") else "left",
            no_wrap=column.startswith("run id"),
            min_width=23 if column.startswith("run id") else None,
        )
    for row in rows:
        # late and "day complete" never meet: late means no run of the day succeeded.
        marker = "[red]late[/]" if row.late else "(day complete)" if _complete(row) else None
        state = [_state(row.state), *([marker] if marker else []), _seconds(row.duration_s)]
        days.add_row(
            f"{row.day}\n[dim]{row.kind or ''}[/]",
            "\n".join(line for line in state if line),
            f"{row.run_id or ''}\n{row.runs or ''}",
            _steps(row),
            f"{_count(row.records_collected)}\n{_count(row.rows_loaded)}",
        )
    return days


def _complete(row: DayStatus) -> bool:
    return row.complete and row.state != "succeeded"


def _steps(row: DayStatus) -> str:
    return f"{row.steps_ok}/{row.steps_total}" if row.steps_total else ""


def _count(value: int | None) -> str:
    return "" if value is None else str(value)


def _alerts_wide(sent: list[SentAlert]) -> Table:
    alerts = Table(title="recent alerts")
    for column in ("sent at", "event", "day", "summary", "delivered to", "failed"):
        alerts.add_column(column)
    for alert in sent:
        alerts.add_row(
            alert.sent_at, alert.event, alert.day, Text(alert.summary), ", ".join(alert.delivered_to),
            "; ".join(alert.failed),
        )  # fmt: skip
    return alerts


def _print_alerts_narrow(console: Console, sent: list[SentAlert]) -> None:
    """One block per alert: when, what and which day on a line, then its summary and where it went, wrapped."""
    console.print("[bold]recent alerts[/]")
    for alert in sent:
        console.print(Text(f"{alert.sent_at}  {alert.event}  {alert.day}", style="bold"))
        console.print(Text(alert.summary))
        console.print(Text("delivered to: " + (", ".join(alert.delivered_to) or "-")))
        if alert.failed:
            console.print(Text("failed: " + "; ".join(alert.failed), style="red"))
