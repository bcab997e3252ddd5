"""What a daily run on the simulated source leaves unimported: the HTTP client, the retry policy and the cron
parser cost its start-up about 90 ms and only an API source, a webhook or a configured schedule needs them."""

from __future__ import annotations

import json
import subprocess
import sys

#: The modules a `flightpipe run` imports before and while it runs the day (see `flightpipe.cli.run`).
RUN_MODULES = (
    "flightpipe.cli.app",
    "flightpipe.cli.run",
    "flightpipe.config",
    "flightpipe.pipeline.sources",
    "flightpipe.pipeline.runner",
    "flightpipe.pipeline.report",
    "flightpipe.report.render",
    "flightpipe.sources.simulated.model",
)
UNNEEDED = ("httpx", "tenacity", "croniter")


def test_the_modules_of_a_daily_run_import_no_http_client_retry_policy_or_cron_parser() -> None:
    probe = (
        f"import importlib, json, sys\nfor name in {RUN_MODULES!r}:\n    importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in {UNNEEDED!r} if m in sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)

    assert json.loads(result.stdout.splitlines()[-1]) == []
