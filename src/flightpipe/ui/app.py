"""The console as an ASGI application: its routes, templates, static files and access checks.

``create_app(settings)`` is all a server (``flightpipe ui``, a test) needs; nothing is read until a page is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from flightpipe.config import Settings
from flightpipe.core.clock import utc_now
from flightpipe.ui.access import AccessMiddleware
from flightpipe.ui.actions import Actions
from flightpipe.ui.jobs import Jobs
from flightpipe.ui.pages import Pages

HERE = Path(__file__).parent


def create_app(
    settings: Settings,
    *,
    allow_actions: bool = False,
    token: str | None = None,
    loopback_only: bool = True,
    now: Callable[[], dt.datetime] = utc_now,
) -> Starlette:
    """The console over ``settings``' data folder, ledger and warehouse. ``loopback_only``: answer only to
    requests addressed to 127.0.0.1 / localhost (the server is bound there)."""
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["seconds"] = _seconds
    templates.env.filters["count"] = lambda v: "" if v is None else f"{v:,}"
    pages = Pages(settings, templates, allow_actions=allow_actions, now=now)
    actions = Actions(pages, Jobs(settings))

    async def error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return pages.render(request, "error.html", status_code=exc.status_code, message=exc.detail)

    routes = [
        Route("/", pages.home, name="home"),
        Route("/runs", pages.runs, name="runs"),
        Route("/runs/{run_id}", pages.run, name="run"),
        Route("/quality", pages.quality, name="quality"),
        Route("/reports", pages.reports, name="reports"),
        Route("/reports/{day}", pages.report, name="report"),
        Route("/flights", pages.flights, name="flights"),
        Route("/flights/{day}/{dep}/{number}", pages.flight, name="flight"),
        Route("/query", pages.query, methods=["GET", "POST"], name="query"),
        Route("/query.csv", pages.query_csv, name="query_csv"),
        Route("/actions", actions.page, name="actions"),
        Route("/actions/run", actions.run, methods=["POST"]),
        Route("/actions/backfill", actions.backfill, methods=["POST"]),
        Route("/actions/replay", actions.replay, methods=["POST"]),
        Route("/actions/jobs/{job_id:int}", actions.job_page, name="job"),
        Route("/api/jobs/{job_id:int}", actions.job_json),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(AccessMiddleware, token=token, loopback_only=loopback_only)],
        exception_handlers={HTTPException: error},
    )


def _seconds(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.1f} s" if value < 120 else f"{value / 60:.1f} min"
