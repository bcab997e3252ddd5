"""The configured warehouse as the pipeline reaches it: the one call to open it and the one loader lock.

Everything in the pipeline layer (and the handlers above it) opens the warehouse through ``connect_warehouse``,
so a change of the factory's signature is one line here.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from contextlib import AbstractContextManager

from flightpipe.config import Settings
from flightpipe.core.errors import LoadError, LockBusy
from flightpipe.stages.load import loader_lock
from flightpipe.warehouse.base import SqlWarehouse
from flightpipe.warehouse.factory import capabilities, open_warehouse


def connect_warehouse(
    settings: Settings,
    *,
    read_only: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> SqlWarehouse:
    """Connect to the configured warehouse. ``read_only``: for queries (DuckDB opens the file shared).

    A DuckDB file another process has open (a `flightpipe sql` query, a DuckDB shell: flightpipe's own loaders
    queue on ``warehouse_lock`` first) is waited for up to ``warehouse.lock_timeout_s``; then ``LockBusy``
    names the process that holds it."""
    timeout = getattr(settings.warehouse, "lock_timeout_s", 0.0)
    deadline = clock() + timeout
    while True:
        try:
            return open_warehouse(settings.warehouse, settings.paths(), read_only=read_only)
        except LoadError as exc:
            holder = file_lock_holder(str(exc))
            if holder is None:
                raise
            if clock() >= deadline:
                raise LockBusy(
                    f"the warehouse file is held by another process, {holder}, for more than {timeout:g} s "
                    "(warehouse.lock_timeout_s): a `flightpipe sql` query or a DuckDB shell? Let it finish, "
                    "then run again"
                ) from None
            sleep(LOCK_POLL_S)


#: How often a load looks again whether the process holding the DuckDB file has let go.
LOCK_POLL_S = 0.5

_HELD_BY = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


def file_lock_holder(message: str) -> str | None:
    """The process DuckDB names in a lock conflict ("python3.11 (PID 123)"); None for any other error."""
    match = _HELD_BY.search(message)
    if match is None:
        return None
    return f"{match['program'].rsplit('/', 1)[-1]} (PID {match['pid']})"


def warehouse_lock(settings: Settings, what: str = "loading the warehouse") -> AbstractContextManager[None]:
    """The single-writer lock the configured engine needs around opening it for writing (see ``loader_lock``)."""
    return loader_lock(settings.paths(), what, capabilities=capabilities(settings.warehouse))
