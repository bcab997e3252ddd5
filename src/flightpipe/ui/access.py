"""Who may reach the console: loopback by default, a token for any other address, and no request another site
can forge (a same-origin check on every POST, a Host check against DNS rebinding on loopback).

The token travels once in the URL (``/?token=...``, as ``flightpipe ui`` prints it) and then in an HttpOnly,
SameSite=Strict cookie; scripts may send it as ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac
import ipaddress
from urllib.parse import urlsplit

from starlette.datastructures import URL
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from flightpipe.core.errors import ConfigError

COOKIE = "flightpipe_console"
#: Host header values a loopback console answers to: another name pointing at 127.0.0.1 is a rebinding attack.
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})

#: Every page's own files only: no script, style, font or image from anywhere else, no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'none'"
)
#: A stored report is one self-contained HTML file with its own inline styles (and no scripts).
REPORT_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'none'"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_binding(host: str, token: str | None) -> None:
    """Refuse to listen beyond this machine without a token (anyone who can reach the port could read the data
    and, with ``--allow-actions``, start runs)."""
    if not is_loopback(host) and not token:
        raise ConfigError(
            f"--host {host} is reachable from other machines: pass --token (or set FLIGHTPIPE_UI_TOKEN), "
            "or bind to 127.0.0.1"
        )


class AccessMiddleware(BaseHTTPMiddleware):
    """Token, Host and Origin checks, and the security headers of every response."""

    def __init__(self, app: object, *, token: str | None, loopback_only: bool) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self.token = token
        self.loopback_only = loopback_only

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        host = request.url.hostname or ""  # from the Host header
        if self.loopback_only and host not in LOOPBACK_NAMES:
            return PlainTextResponse(f"unknown host {host!r}: open the console at 127.0.0.1", status_code=421)
        if request.method not in {"GET", "HEAD"} and not _same_origin(request):
            return PlainTextResponse("cross-site request refused", status_code=403)
        if self.token:
            offered = request.query_params.get("token")
            if offered is not None and hmac.compare_digest(offered, self.token):
                # Trade the URL's token for a cookie, and drop it from the address bar and the history.
                clean = URL(str(request.url)).remove_query_params("token")
                response: Response = RedirectResponse(str(clean), status_code=303)
                response.set_cookie(COOKIE, self.token, httponly=True, samesite="strict")
                return response
            if not self._authorised(request):
                return PlainTextResponse(
                    "this console needs its token: open the URL `flightpipe ui` printed", status_code=401
                )
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers["X-Content-Type-Options"] = "nosniff"
        # same-origin, not no-referrer: with no-referrer a browser sends "Origin: null" on its own form posts.
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    def _authorised(self, request: Request) -> bool:
        assert self.token is not None
        bearer = request.headers.get("authorization", "")
        offered = request.cookies.get(COOKIE) or (bearer[7:] if bearer.lower().startswith("bearer ") else "")
        return hmac.compare_digest(offered, self.token)


def _same_origin(request: Request) -> bool:
    """A form or fetch from one of the console's own pages: its Origin (or Referer) names this host."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return True  # not a browser (curl, a script): the token, when there is one, is what guards it
    return urlsplit(origin).netloc == request.headers.get("host")
