"""The embedded default: one DuckDB file. ``settings``: its configuration section; ``adapter``: the adapter.

Import the adapter from ``adapter`` only where a connection is made: it imports the driver.
"""
