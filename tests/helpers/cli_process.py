"""The command line as a user runs it: ``python -m flightpipe.cli`` in a real process, without the developer's
FLIGHTPIPE__ variables."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def flightpipe(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("FLIGHTPIPE")}
    base.update({"COLUMNS": "200", **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "flightpipe.cli", *args],
        cwd=cwd,
        env=base,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def flightpipe_on_a_terminal(*args: str, cwd: Path, columns: int = 80) -> str:
    """What a user sees running ``flightpipe`` in a terminal ``columns`` wide: stdout and stderr on one
    pseudo-terminal, without colours and cursor moves (carriage returns as newlines)."""
    import pty
    import re

    main, secondary = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLIGHTPIPE")}
    env.update(COLUMNS=str(columns), LINES="40", TERM="xterm-256color")
    process = subprocess.Popen(
        [sys.executable, "-m", "flightpipe.cli", *args], cwd=cwd, env=env, stdout=secondary, stderr=secondary
    )
    os.close(secondary)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal closed: the process ended
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=300)
    os.close(main)
    text = b"".join(chunks).decode("utf-8", "replace").replace("\r", "\n")
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
