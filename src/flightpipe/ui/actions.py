"""The Actions page and its forms (only with ``flightpipe ui --allow-actions``): each form starts a job
(:mod:`flightpipe.ui.jobs`) and redirects to its page, which polls ``/api/jobs/<id>`` for progress."""

from __future__ import annotations

import datetime as dt

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from flightpipe.core.errors import ConfigError
from flightpipe.ui.jobs import Job, Jobs
from flightpipe.ui.pages import Pages


class Actions:
    def __init__(self, pages: Pages, jobs: Jobs) -> None:
        self.pages = pages
        self.jobs = jobs

    def _allowed(self) -> None:
        if not self.pages.allow_actions:
            raise HTTPException(403, "actions are off: start the console with `flightpipe ui --allow-actions`")

    async def page(self, request: Request, error: str | None = None) -> Response:
        self._allowed()
        return self.pages.render(
            request, "actions.html", jobs=self.jobs.all(), error=error, status_code=400 if error else 200
        )

    async def run(self, request: Request) -> Response:
        return await self._start(
            request,
            lambda f: self.jobs.run_day(
                _date(f, "day"), allow_quality_failures=f.get("allow_quality_failures") == "on"
            ),
        )

    async def backfill(self, request: Request) -> Response:
        return await self._start(
            request, lambda f: self.jobs.backfill(_date(f, "start"), _date(f, "end"), force=f.get("force") == "on")
        )

    async def replay(self, request: Request) -> Response:
        return await self._start(request, lambda f: self.jobs.replay(_date(f, "day")))

    async def _start(self, request: Request, start: object) -> Response:
        self._allowed()
        form = {k: str(v) for k, v in (await request.form()).items()}
        try:
            job: Job = start(form)  # type: ignore[operator]
        except ConfigError as exc:
            return await self.page(request, error=str(exc))
        return RedirectResponse(f"/actions/jobs/{job.job_id}", status_code=303)

    async def job_page(self, request: Request) -> Response:
        self._allowed()
        job = self.jobs.get(int(request.path_params["job_id"]))
        if job is None:
            raise HTTPException(404, "no such action")
        return self.pages.render(request, "job.html", job=job.as_dict())

    async def job_json(self, request: Request) -> Response:
        self._allowed()
        job = self.jobs.get(int(request.path_params["job_id"]))
        if job is None:
            raise HTTPException(404, "no such action")
        return JSONResponse(job.as_dict())


def _date(form: dict[str, str], name: str) -> dt.date:
    value = form.get(name, "")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{name} must be a date (YYYY-MM-DD), got {value!r}") from None
