"""Monitoring of the local runtime: metrics per step, alerts through notifiers, the daily status.

``events`` is the contract shared with the AWS stack (event names and shapes); ``metrics`` exports a run's
step metrics as JSON and Prometheus text; ``detect`` decides which events a finished run raises; ``alerts``
deduplicates and fans them out to the ``notifiers``; ``flightpipe.pipeline.monitor`` is the one hook the runner calls;
``status`` summarises the state store for ``flightpipe status``.
"""
