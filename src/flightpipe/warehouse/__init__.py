"""Warehouses: one small interface (``base``), one folder per engine (``duckdb/``, ``postgres/``, ``redshift/``:
its settings section and its adapter), registered once each in ``registry``; ``factory.open_warehouse`` builds
the configured one from its section and the data paths."""
