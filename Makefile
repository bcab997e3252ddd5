# flightpipe: `make demo` and `make test` set up everything they need on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FP := $(VENV)/bin/flightpipe
DEMO_DIR ?= flightpipe-data
DEMO_END := $(shell date -u -d 'yesterday' +%F)
DEMO_START := $(shell date -u -d '7 days ago' +%F)

.PHONY: help venv demo test test-fast bench lint clean

help:
	@echo "make demo   - create .venv, install, run the last 7 days on the simulated source, show the result"
	@echo "make test   - install test dependencies, start the services the tests use, run every test"
	@echo "make bench  - benchmark transform/process/load against the baselines; writes docs/benchmarks.md"
	@echo "make lint   - ruff and mypy"

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,bench,aws]'
	@touch $@

venv: $(VENV)/.installed

demo: venv
	FLIGHTPIPE__DATA_DIR=$(DEMO_DIR) $(FP) backfill --start $(DEMO_START) --end $(DEMO_END)
	@echo
	FLIGHTPIPE__DATA_DIR=$(DEMO_DIR) $(FP) summary --start $(DEMO_START) --end $(DEMO_END)
	@echo
	@echo "Data (raw/, transformed/, processed/, quarantine/): $(abspath $(DEMO_DIR))"
	@echo "Warehouse (DuckDB):                                $(abspath $(DEMO_DIR))/warehouse.duckdb"
	@echo "Run history (SQLite):                              $(abspath $(DEMO_DIR))/ledger.sqlite"
	@echo "Past runs:   $(FP) runs"
	@echo "Try a query:"
	@echo "  $(FP) sql \"SELECT dep_airport_icao, count(*) AS flights, round(avg(dep_delay_min), 1) AS avg_delay FROM fact_flights GROUP BY 1 ORDER BY 2 DESC\""
	@FLIGHTPIPE__DATA_DIR=$(DEMO_DIR) $(FP) sql "SELECT dep_airport_icao, count(*) AS flights, round(avg(dep_delay_min), 1) AS avg_delay FROM fact_flights GROUP BY 1 ORDER BY 2 DESC LIMIT 8"

test: venv
	$(PY) -m pytest

test-fast: venv
	$(PY) -m pytest -m "not slow"

bench: venv
	$(PY) bench/run.py --days 30 --out docs/benchmarks.md

lint: venv
	$(PY) -m ruff check src tests bench
	$(PY) -m mypy

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache bench/work
