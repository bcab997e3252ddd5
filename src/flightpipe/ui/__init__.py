"""The operations console: ``flightpipe ui``, a local web application over the data folder, ledger and warehouse
the command line uses (Starlette, Jinja2 templates; its CSS and JavaScript ship in the package, nothing is
fetched from the internet).

It reads through the layers below it (the state store read-only, ``monitoring.status``, the warehouse, the report
files) and acts only through ``pipeline`` (``run_day``, ``run_backfill``), and only when started with
``--allow-actions``. docs/operations.md describes each page.
"""
