"""Failpoints: named places where a test can make the process die as a crash would.

``FLIGHTPIPE_FAILPOINTS=transform.after_write`` kills the process with SIGKILL the first time that point is
reached (no cleanup, no ``finally``, exactly like a power cut or an OOM kill). Crash-recovery tests use them to
prove that running again converges on the same warehouse. With the variable unset a failpoint costs one
dictionary lookup.
"""

from __future__ import annotations

import os
import signal

ENV = "FLIGHTPIPE_FAILPOINTS"


def failpoint(name: str) -> None:
    armed = os.environ.get(ENV)
    if armed and name in {part.strip() for part in armed.split(",")}:
        os.kill(os.getpid(), signal.SIGKILL)
