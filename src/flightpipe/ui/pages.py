"""The console's pages: each handler reads through the layers below (ledger, status, warehouse, report files,
quarantine) and renders one template. Actions are in :mod:`flightpipe.ui.actions`."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from flightpipe.config import Settings
from flightpipe.core.errors import FlightpipeError
from flightpipe.core.store import ObjectStore
from flightpipe.monitoring.events import QualityFailure, quality_failed
from flightpipe.monitoring.status import read_status
from flightpipe.pipeline.quarantined import QuarantineRow, quarantine_summary
from flightpipe.quality.rules import RULES
from flightpipe.state.runs import COLLECTED, FAILED, FAILED_QUALITY, PARTIAL, RUNNING, SUCCEEDED
from flightpipe.state.store import StateStore
from flightpipe.ui import flights, ledger, reports, sandbox
from flightpipe.ui.access import REPORT_POLICY
from flightpipe.ui.warehouse import code, reading

#: The states a grid cell can show, in the order the legend lists them.
CELL_STATES = (SUCCEEDED, PARTIAL, FAILED_QUALITY, FAILED, "abandoned", COLLECTED, RUNNING, ledger.NEVER_RUN)
DEFAULT_DAYS = 14


class Pages:
    def __init__(
        self, settings: Settings, templates: Jinja2Templates, *, allow_actions: bool, now: Callable[[], dt.datetime]
    ) -> None:
        self.settings = settings
        self.templates = templates
        self.allow_actions = allow_actions
        self.now = now

    def render(self, request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
        context |= {"allow_actions": self.allow_actions, "settings": self.settings, "page": template.split(".")[0]}
        return self.templates.TemplateResponse(request, template, context, status_code=status_code)

    @contextmanager
    def ledger(self) -> Iterator[StateStore | None]:
        state = ledger.open_ledger(self.settings.paths().ledger)
        try:
            yield state
        finally:
            if state is not None:
                state.close()

    # Home ---------------------------------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        days = _int(request.query_params.get("days"), DEFAULT_DAYS, 1, 366)
        airports, boards = self.settings.airports, [str(b) for b in self.settings.boards]
        with self.ledger() as state:
            if state is None:
                return self.render(
                    request,
                    "home.html",
                    status=None,
                    grid={},
                    days=[],
                    airports=airports,
                    boards=boards,
                    reports=set(),
                    states=CELL_STATES,
                )
            status = read_status(state, self.settings.alerts, self.settings.schedule, self.now(), days=days)
            day_list = [row.day for row in status.days]
            cells = ledger.grid(state, day_list, airports, boards)
        stored = {r.day for r in reports.stored_reports(ObjectStore(self.settings.data_dir))}
        return self.render(
            request,
            "home.html",
            status=status,
            grid=cells,
            days=day_list,
            airports=airports,
            boards=boards,
            reports=stored,
            states=CELL_STATES,
        )

    # Runs ---------------------------------------------------------------------------------------------------

    async def runs(self, request: Request) -> Response:
        q = request.query_params
        where = ledger.RunFilter(
            day=_day_text(q.get("day")),
            state=q.get("state") or None,
            source=q.get("source") or None,
            kind=q.get("kind") or None,
            limit=_int(q.get("limit"), 100, 1, 1000),
        )
        with self.ledger() as state:
            found = ledger.runs(state, where) if state else []
            choices = {c: ledger.distinct(state, c) for c in ("state", "source", "kind")} if state else {}
        return self.render(request, "runs.html", runs=found, where=where, choices=choices)

    async def run(self, request: Request) -> Response:
        run_id = request.path_params["run_id"]
        with self.ledger() as state:
            run = state.runs.find(run_id) if state else None
            if run is None or state is None:
                raise HTTPException(404, f"no run {run_id}")
            steps = state.steps.of_run(run.run_id)
            results = state.quality.stored(run_id=run.run_id)
        start = dt.datetime.fromisoformat(run.started_at)
        ends = [dt.datetime.fromisoformat(s.finished_at) for s in steps if s.finished_at]
        end = max([*ends, dt.datetime.fromisoformat(run.finished_at)] if run.finished_at else ends or [start])
        span = max((end - start).total_seconds(), 0.001)
        timeline = [
            {
                "step": s,
                "offset_s": (dt.datetime.fromisoformat(s.started_at) - start).total_seconds(),
                "left": 100 * (dt.datetime.fromisoformat(s.started_at) - start).total_seconds() / span,
                "width": max(100 * (s.duration_s or 0.0) / span, 0.4),
            }
            for s in steps
        ]
        return self.render(
            request,
            "run.html",
            run=run,
            timeline=timeline,
            span_s=span,
            quality_failures=[r for r in results if r.result.outcome == "fail"],
        )

    # Quality ------------------------------------------------------------------------------------------------

    async def quality(self, request: Request) -> Response:
        days = _int(request.query_params.get("days"), DEFAULT_DAYS, 1, 366)
        with self.ledger() as state:
            if state is None:
                newest = None
            else:
                rows = state.db.read("SELECT max(day) FROM runs")
                newest = rows[0][0] if rows else None
            day = _day_text(request.query_params.get("day")) or newest
            last = dt.date.fromisoformat(newest) if newest else self.now().date()
            matrix = ledger.quality_matrix(state, ledger.day_range(last, days)) if state else None
            stored = state.quality.stored(day=dt.date.fromisoformat(day)) if state and day else []
        failures = [s for s in ledger.latest_checks(stored) if s.result.outcome == "fail"]
        remedy = ""
        if failures and day:
            event = quality_failed(
                run_id=failures[-1].run_id,
                day=dt.date.fromisoformat(day),
                time=self.now(),
                failures=[
                    QualityFailure(
                        f.result.rule, f.result.partition.airport_icao if f.result.partition else None, f.result.message
                    )
                    for f in failures
                ],
            )
            remedy = event.remedy
        quarantine = quarantine_summary(self.settings, dt.date.fromisoformat(day)) if day else []
        by_rule: dict[str, list[QuarantineRow]] = {}
        for row in quarantine:
            by_rule.setdefault(row.rule, []).append(row)
        return self.render(
            request,
            "quality.html",
            day=day,
            matrix=matrix,
            failures=failures,
            remedy=remedy,
            rules=RULES,
            quarantine=by_rule,
            quarantined=sum(r.count for r in quarantine),
        )

    # Reports ------------------------------------------------------------------------------------------------

    async def reports(self, request: Request) -> Response:
        return self.render(request, "reports.html", reports=reports.stored_reports(ObjectStore(self.settings.data_dir)))

    async def report(self, request: Request) -> Response:
        day = _day(request.path_params["day"])
        html = reports.read_report(ObjectStore(self.settings.data_dir), day)
        if html is None:
            raise HTTPException(404, f"no report of {day}")
        return Response(html, media_type="text/html", headers={"Content-Security-Policy": REPORT_POLICY})

    # Flights ------------------------------------------------------------------------------------------------

    async def flights(self, request: Request) -> Response:
        q = request.query_params
        route = (q.get("route") or "").upper().replace(" ", "")
        dep, _, arr = route.partition("-")
        search = flights.FlightSearch(
            number=code(q.get("number")),
            airline=code(q.get("airline")),
            airport=code(q.get("airport")),
            dep=code(dep),
            arr=code(arr),
            date=_day(q["date"]) if q.get("date") else None,
        )
        error, found = None, []
        try:
            with reading(self.settings) as warehouse:
                found = flights.search(warehouse, search)
        except FlightpipeError as exc:
            error = str(exc)
        return self.render(request, "flights.html", flights=found, q=q, error=error, limit=flights.MAX_RESULTS)

    async def flight(self, request: Request) -> Response:
        p = request.path_params
        day, dep, number = _day(p["day"]), code(p["dep"]), code(p["number"])
        if dep is None or number is None:
            raise HTTPException(404, "no such flight")
        try:
            with reading(self.settings) as warehouse:
                detail = flights.flight(warehouse, self.settings.paths(), day, dep, number)
        except FlightpipeError as exc:  # no warehouse yet, or it cannot be read
            raise HTTPException(503, str(exc)) from None
        if detail is None:
            raise HTTPException(404, f"no flight {number} from {dep} on {day}")
        return self.render(request, "flight.html", detail=detail, f=detail.flight)

    # Query --------------------------------------------------------------------------------------------------

    async def query(self, request: Request) -> Response:
        form = await request.form() if request.method == "POST" else request.query_params
        sql = str(form.get("sql") or "").strip()
        answer, error = None, None
        if sql:
            try:
                answer = sandbox.run_query(self.settings, sql)
            except FlightpipeError as exc:
                error = str(exc)
        return self.render(
            request, "query.html", sql=sql, answer=answer, error=error, status_code=400 if error else 200
        )

    async def query_csv(self, request: Request) -> Response:
        sql = str(request.query_params.get("sql") or "").strip()
        try:
            answer = sandbox.run_query(self.settings, sql, max_rows=sandbox.MAX_CSV_ROWS)
        except FlightpipeError as exc:
            return Response(str(exc), status_code=400, media_type="text/plain")
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(answer.columns)
        writer.writerows(answer.rows)
        return Response(
            out.getvalue(), media_type="text/csv", headers={"Content-Disposition": 'attachment; filename="query.csv"'}
        )


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(value), low), high) if value else default
    except ValueError:
        return default


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise HTTPException(400, f"not a date (YYYY-MM-DD): {value!r}") from None


def _day_text(value: str | None) -> str | None:
    return _day(value).isoformat() if value else None
