"""Redshift through the Data API. ``settings``: its configuration section; ``adapter``: the adapter.

Import the adapter from ``adapter`` only where a connection is made: it imports the driver.
"""
