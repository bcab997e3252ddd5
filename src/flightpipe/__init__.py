"""flightpipe: a daily pipeline for airport departure and arrival boards."""

__version__ = "0.1.0"
