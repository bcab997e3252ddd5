"""The command line as a user runs it: ``python -m flightpipe.cli`` in a real process, without the developer's
FLIGHTPIPE__ variables."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def flightpipe(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("FLIGHTPIPE")}
    base.update(COLUMNS="200", **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "flightpipe.cli", *args],
        cwd=cwd,
        env=base,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
