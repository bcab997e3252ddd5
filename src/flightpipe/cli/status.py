"""``flightpipe status``: the last run per day, steps, duration trend, next run, problems (rich tables)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from flightpipe.cli import options
from flightpipe.cli.options import ConfigOption
from flightpipe.cli.output import console
from flightpipe.core.clock import utc_now

if TYPE_CHECKING:
    from flightpipe.monitoring.status import StatusReport

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
    """Last run per day, steps, duration trend, next scheduled run, anything late or failing (exit 1 if so)."""
    from flightpipe.monitoring.status import build_status

    settings = options.load(config)
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

    days = Table(title="last run per day")
    for column in ("day", "state", "run id", "kind", "runs", "steps ok", "records", "loaded", "duration", "late"):
        days.add_column(column, justify="right" if column in {"runs", "records", "loaded", "duration"} else "left")
    for row in report.days:
        days.add_row(
            row.day,
            _state(row.state) + (" (day complete)" if row.complete and row.state != "succeeded" else ""),
            row.run_id or "",
            row.kind or "",
            str(row.runs or ""),
            f"{row.steps_ok}/{row.steps_total}" if row.steps_total else "",
            "" if row.records_collected is None else str(row.records_collected),
            "" if row.rows_loaded is None else str(row.rows_loaded),
            _seconds(row.duration_s),
            "[red]late[/]" if row.late else "",
        )
    console.print(days)

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
        alerts = Table(title="recent alerts")
        for column in ("sent at", "event", "day", "summary", "delivered to", "failed"):
            alerts.add_column(column)
        for alert in report.recent_alerts:
            alerts.add_row(
                alert.sent_at,
                alert.event,
                alert.day,
                alert.summary,
                ", ".join(alert.delivered_to),
                "; ".join(alert.failed),
            )
        console.print(alerts)
