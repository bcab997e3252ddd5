"""``flightpipe ui``: the operations console, a local web application (flightpipe.ui) served by uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from flightpipe.cli import options
from flightpipe.cli.options import ConfigOption
from flightpipe.cli.output import console


def ui(
    host: Annotated[str, typer.Option("--host", help="Address to listen on; other than loopback needs --token.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8765,
    allow_actions: Annotated[
        bool,
        typer.Option("--allow-actions", help="Offer the Actions page: run a day, backfill, replay a quarantine."),
    ] = False,
    token: Annotated[
        str | None,
        typer.Option(
            "--token", envvar="FLIGHTPIPE_UI_TOKEN", help="Secret the browser must present (required off loopback)."
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Operations console in the browser: status grid, runs, quality and quarantine, reports, flights, read-only
    SQL and (opt-in) actions, over the same data folder, ledger and warehouse as the CLI. Works offline."""
    try:
        import uvicorn

        from flightpipe.ui.access import check_binding, is_loopback
        from flightpipe.ui.app import create_app
    except ImportError as exc:
        raise typer.BadParameter(f"the console needs the `ui` extra: pip install 'flightpipe[ui]' ({exc})") from None

    check_binding(host, token)
    settings = options.load(config)
    app = create_app(settings, allow_actions=allow_actions, token=token, loopback_only=is_loopback(host))
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    console.print(f"flightpipe console on {url}" + (" (actions on)" if allow_actions else "") + "; Ctrl-C stops it")
    uvicorn.run(app, host=host, port=port, log_level="warning")
