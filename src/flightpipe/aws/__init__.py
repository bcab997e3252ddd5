"""flightpipe on AWS: Lambda handlers, the Glue job script and the Step Functions definition.

Every handler calls the day-level pipeline layer (``flightpipe.pipeline``), as the local runner does; the
AWS-specific parts (events in, JSON out, powertools logging/metrics/tracing) stay in this package.
"""
