"""One error hierarchy for the whole pipeline.

Class names are part of the interface: the AWS Step Functions definition matches them in ``ErrorEquals``,
so rename one only together with the state machine.
"""

from __future__ import annotations


class FlightpipeError(Exception):
    """Root of every error flightpipe raises on purpose."""


class ConfigError(FlightpipeError):
    """The configuration (file, environment or command line) is invalid; the message names the key."""


class SourceError(FlightpipeError):
    """A flight-data source failed to deliver a board."""


class QuotaExceeded(SourceError):
    """A source's request budget would be (or was) exceeded."""


class SourceAuthError(SourceError):
    """The source refused the credentials (bad, missing or inactive key; plan without this function).

    Never retried: the same key fails the same way."""


class SourceUnavailable(SourceError):
    """The source kept failing with transient errors (5xx, 429, timeouts, dropped connections) until the
    retries ran out."""


class SourceResponseError(SourceError):
    """The source answered something flightpipe cannot use: a refused request (4xx), or a body that is not
    the JSON the API documents (malformed, an HTML error page) even after retries."""


class DayNotAvailableYet(SourceError):
    """The source has not published the requested day yet (OpenSky's nightly batch): not an empty day."""


class CorruptRawFile(FlightpipeError):
    """A raw envelope cannot be read at all; the whole file goes to quarantine."""


class StoreError(FlightpipeError):
    """The object store refused an operation."""


class ProcessError(FlightpipeError):
    """Combining and deduplicating transformed rows failed."""


class LoadError(FlightpipeError):
    """Loading a processed partition into the warehouse failed; the previous rows are intact."""


class QualityGateFailed(FlightpipeError):
    """A fail-level quality result stopped the load of a flight date."""


class LockBusy(FlightpipeError):
    """Another flightpipe process holds the lock for this work."""
