"""The live display of a run or a range of days: one line for the range, one per stage of the current day."""

from __future__ import annotations

import datetime as dt

import pytest
from rich.progress import Progress

from flightpipe.cli.progress import DaysProgress

DAY = dt.date(2026, 6, 8)


def _descriptions(progress: Progress) -> list[str]:
    return [task.description for task in progress.tasks]


def test_a_range_shows_the_day_it_runs_as_n_of_n() -> None:
    progress = Progress(disable=True)
    display = DaysProgress(7, progress)
    display.finish_day()
    display.finish_day()

    display.start_day(DAY)

    assert _descriptions(progress) == ["day 3 of 7 (2026-06-08)"]
    assert progress.tasks[0].completed == 2 and progress.tasks[0].total == 7


def test_one_day_has_no_range_line() -> None:
    progress = Progress(disable=True)

    DaysProgress(1, progress).start_day(DAY).stage_total("collect", 4)

    assert _descriptions(progress) == ["  collect"]


def test_a_stage_with_nothing_to_do_gets_no_line() -> None:
    progress = Progress(disable=True)
    stages = DaysProgress(1, progress).start_day(DAY)
    stages.stage_total("verify", 2)

    stages.stage_total("verify", 0)
    stages.stage_total("quality", 0)

    assert _descriptions(progress) == []


def test_the_next_day_replaces_the_stage_lines_of_the_previous_one() -> None:
    progress = Progress(disable=True)
    display = DaysProgress(2, progress)
    first = display.start_day(DAY)
    first.stage_total("collect", 2)
    first.step_done("collect", "EDDH/departures", True)
    display.finish_day()

    display.start_day(DAY + dt.timedelta(days=1)).stage_total("collect", 2)

    assert _descriptions(progress) == ["day 2 of 2 (2026-06-09)", "  collect"]
    assert progress.tasks[1].completed == 0


def test_only_the_range_line_shows_the_time_left() -> None:
    from rich.progress import TimeRemainingColumn

    from flightpipe.cli.progress import _progress

    progress = _progress()
    display = DaysProgress(3, progress)
    display.finish_day()
    stages = display.start_day(DAY)
    stages.stage_total("collect", 4)
    stages.step_done("collect", "EDDH/departures", True)
    time_left = [column for column in progress.columns if isinstance(column, TimeRemainingColumn)]

    rendered = [str(time_left[0].render(task)) for task in progress.tasks]

    assert len(time_left) == 1 and [text != "" for text in rendered] == [True, False]


def test_the_objects_alive_before_the_first_day_runs_are_frozen_out_of_the_collector_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typing import Any

    import flightpipe.cli
    from flightpipe.cli import progress as progress_module
    from flightpipe.pipeline import runner

    events: list[str] = []
    monkeypatch.setattr(runner, "run_day", lambda *args, **kwargs: events.append("day"))
    monkeypatch.setattr(progress_module.gc, "freeze", lambda: events.append("freeze"))
    monkeypatch.setattr(progress_module, "_frozen", False)
    monkeypatch.setattr(flightpipe.cli, "running_as_program", True)
    run: Any = progress_module.run_with_progress

    for _ in range(2):
        run(None, DAY, kind="run", display=DaysProgress(2, Progress(disable=True)))

    assert events == ["freeze", "day", "day"]


def test_a_process_running_the_commands_inside_keeps_its_collector_unfrozen(monkeypatch: pytest.MonkeyPatch) -> None:
    from typing import Any

    from flightpipe.cli import progress as progress_module
    from flightpipe.pipeline import runner

    events: list[str] = []
    monkeypatch.setattr(runner, "run_day", lambda *args, **kwargs: events.append("day"))
    monkeypatch.setattr(progress_module.gc, "freeze", lambda: events.append("freeze"))
    monkeypatch.setattr(progress_module, "_frozen", False)
    run: Any = progress_module.run_with_progress

    run(None, DAY, kind="run", display=DaysProgress(1, Progress(disable=True)))

    assert events == ["day"]
