"""The day-level pipeline: one implementation of each step of a day's run, called by both runtimes.

``day`` (the plan: day, run id, airports x boards) -> ``collect`` -> ``transform`` (under the configured record
rules) -> ``verify`` (every raw file has its twin; the flight dates to process) -> ``process`` -> ``quality``
(boards, flight dates, the gate) -> ``load`` (gated, one flight date per transaction) -> ``report``.
``warehouse`` is the one way into the configured warehouse; ``tracking`` is how steps report progress.

The runtimes are adapters over these: ``runner`` (threads, the "object landed" queue, the ledger, locks) with
``scheduler`` on one machine, and ``flightpipe.aws.handlers`` (one Lambda per state of the state machine).
"""
