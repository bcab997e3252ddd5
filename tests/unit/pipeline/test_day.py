"""The plan of a day: airports x boards, one run id of one shape, the day a scheduled run collects."""

from __future__ import annotations

import datetime as dt
import re

from flightpipe.config import load_settings
from flightpipe.core.clock import collection_day
from flightpipe.core.layout import Board
from flightpipe.pipeline.day import BoardTask, new_run_id, plan_day

DAY = dt.date(2026, 6, 8)
AS_OF = dt.datetime(2026, 6, 20, 6, 0, tzinfo=dt.UTC)


def test_the_plan_has_one_task_per_airport_and_board_airport_by_airport() -> None:
    plan = plan_day(load_settings(airports="EDDH,EDDF"), DAY, as_of=AS_OF)
    assert plan.tasks == [
        BoardTask("EDDH", Board.DEPARTURES),
        BoardTask("EDDH", Board.ARRIVALS),
        BoardTask("EDDF", Board.DEPARTURES),
        BoardTask("EDDF", Board.ARRIVALS),
    ]
    assert (plan.day, plan.as_of, plan.airports) == (DAY, AS_OF, ("EDDH", "EDDF"))


def test_the_plan_takes_a_new_run_id_from_its_as_of_unless_given_one() -> None:
    settings = load_settings(airports="EDDH")
    assert re.fullmatch(r"20260620T060000Z-[0-9a-f]{6}", plan_day(settings, DAY, as_of=AS_OF).run_id)
    assert plan_day(settings, DAY, as_of=AS_OF, run_id="given").run_id == "given"


def test_a_run_id_is_the_utc_start_second_and_a_random_tail() -> None:
    berlin = dt.timezone(dt.timedelta(hours=2))
    first, second = (new_run_id(dt.datetime(2026, 6, 20, 8, 0, 1, tzinfo=berlin)) for _ in range(2))
    assert first.startswith("20260620T060001Z-") and second.startswith("20260620T060001Z-")
    assert first != second


def test_a_run_collects_the_utc_day_before_it_fired_or_as_many_days_as_offset() -> None:
    assert collection_day(dt.datetime(2026, 6, 9, 2, 30, tzinfo=dt.UTC)) == DAY
    assert collection_day(dt.datetime(2026, 6, 10, 2, 30, tzinfo=dt.UTC), day_offset=2) == DAY
    # 00:30 in Berlin is still the evening before in UTC.
    assert collection_day(dt.datetime(2026, 6, 10, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))) == DAY
