"""``python -m flightpipe.cli``: the same as the ``flightpipe`` command."""

from flightpipe.cli import entry

entry()
