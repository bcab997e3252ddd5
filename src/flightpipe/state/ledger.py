"""The run states' and records' old import path, kept only for the CLI modules that still import it
(``cli/run.py``, ``cli/quality.py``, ``cli/runs.py``); delete it once they import ``flightpipe.state.runs``.
There is no ``Ledger`` any more: open the store (``with StateStore.open(paths.ledger) as state: state.runs...``).
"""

from __future__ import annotations

from flightpipe.state.runs import SUCCEEDED, RunRecord

__all__ = ["SUCCEEDED", "RunRecord"]
