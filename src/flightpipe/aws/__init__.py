"""flightpipe on AWS: Lambda handlers, the Glue job script and the Step Functions definition.

Every handler only calls flightpipe's own stage functions; the AWS-specific parts (events in, JSON out,
powertools logging/metrics/tracing) stay in this package.
"""
