"""Names shared by the handlers, the state machine, the Glue job and the CDK stack: one place for each.

The stack builds its dashboard and alarms from the metric names here, the state machine routes errors by the
class names in ``flightpipe.core.errors`` and the notify handler publishes the event names below (which are
``flightpipe.monitoring.events``', the local runtime's), so renaming one of them renames it everywhere.
"""

from __future__ import annotations

from typing import Final

from flightpipe.core.errors import QualityGateFailed
from flightpipe.monitoring import events

#: CloudWatch namespace of every metric the handlers emit (embedded metric format).
METRICS_NAMESPACE: Final = "flightpipe"
SERVICE: Final = "flightpipe"

# Metrics, with their dimensions --------------------------------------------------------------------------
#: Records a collect invocation landed; dimensions airport, board.
RECORDS_COLLECTED: Final = "RecordsCollected"
#: Rows a transform wrote and records it quarantined; dimension airport.
ROWS_TRANSFORMED: Final = "RowsTransformed"
RECORDS_QUARANTINED: Final = "RecordsQuarantined"
#: Raw files verify found without a transformed twin (and transformed).
FILES_REPAIRED: Final = "FilesRepairedByVerify"
#: Rows the Glue job wrote to processed/ per departure airport (it puts them itself); dimension airport.
ROWS_PROCESSED: Final = "RowsProcessed"
#: Rows the load put into the warehouse: the run's total with no dimension beyond the service, and per
#: departure airport (dimension airport).
ROWS_LOADED: Final = "RowsLoaded"
#: Fail-level quality results that held back (part of) a load, overridden ones not counted; 0 on a clean load,
#: so an alarm on it sees data every run. No dimension beyond the service (the SNS mail names the airports).
QUALITY_FAILURES: Final = "QualityFailures"
#: One per finished run, dimension outcome: the run's state as the ledger names it (succeeded, partial, failed,
#: failed quality).
RUNS: Final = "Runs"

DIM_AIRPORT: Final = "airport"
DIM_BOARD: Final = "board"
DIM_OUTCOME: Final = "outcome"
#: The dimension powertools adds to every metric of a function with POWERTOOLS_SERVICE_NAME (value SERVICE).
DIM_SERVICE: Final = "service"

# Events: what the state machine asks the notify handler to publish, named as the local runtime names them ---
RUN_SUCCEEDED: Final = events.RUN_SUCCEEDED
#: A failed run, and a partial one (some boards failed to collect): the state machine says which in ``state``.
RUN_FAILED: Final = events.RUN_FAILED
QUALITY_FAILED: Final = events.QUALITY_FAILED
#: Of kind ``deadline`` only (the input names ``deadline`` and ``started_at``); the stack itself does not send
#: it (its execution timeout fails the run and alarms), but anything may invoke notify with it.
PROCESSING_DELAYED: Final = events.PROCESSING_DELAYED
NOTIFY_EVENTS: Final = (RUN_SUCCEEDED, RUN_FAILED, QUALITY_FAILED, PROCESSING_DELAYED)
#: Run states, as the ledger (``flightpipe.state.runs``) names them: the ``state`` a run.failed notification carries,
#: and the outcome of the Runs metric. Spelled out, not imported: the CDK app and every function import this
#: module, which stays free of the ledger and the pyarrow it pulls in; a test holds them equal.
RUN_STATE_SUCCEEDED: Final = "succeeded"
RUN_STATE_PARTIAL: Final = "partial"
RUN_STATE_FAILED: Final = "failed"
RUN_STATE_FAILED_QUALITY: Final = "failed quality"

#: The error name Step Functions sees when the quality gate stops a load (the Lambda's errorType).
QUALITY_GATE_ERROR: Final = QualityGateFailed.__name__

#: The execution input flag that lets the load through the quality gate (plan passes it on to load).
ALLOW_QUALITY_FAILURES: Final = "allow_quality_failures"

# Environment of the Lambda functions and arguments of the Glue job ----------------------------------------
ENV_TOPIC_ARN: Final = "FLIGHTPIPE_AWS_TOPIC_ARN"
GLUE_ARGS: Final = ("data_url", "flight_dates", "database", "table", "airports")
