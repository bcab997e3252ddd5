"""The daily report: insight queries on the warehouse views, charts, and one self-contained HTML page.

``render`` builds and writes it (``flightpipe report``) for a ``scope.ReportScope``; ``pipeline.report`` is the
runner's call after a load.
Nothing is imported here, so the runner's import stays light (the page imports jinja2).
"""
