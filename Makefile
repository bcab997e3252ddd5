# flightpipe: `make demo` and `make test` set up everything they need on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FP := $(VENV)/bin/flightpipe
DEMO_DIR ?= flightpipe-data
DEMO_END := $(shell date -u -d 'yesterday' +%F)
DEMO_START := $(shell date -u -d '7 days ago' +%F)
DEMO_QUERY := SELECT dep_airport_icao AS origin, arr_airport_icao AS destination, count(*) AS flights, round(avg(date_diff('minute', dep_scheduled_utc, dep_actual_utc)), 1) AS avg_dep_delay_min FROM fact_flights WHERE status <> 'cancelled' GROUP BY ALL ORDER BY flights DESC LIMIT 8

.PHONY: help venv demo test test-fast bench lint clean postgres chromium java node synth package

help:
	@echo "make demo   - create .venv, install, run the last 7 days on the simulated source, show the result"
	@echo "make test   - install test dependencies, start the services the tests use, run every test (in parallel)"
	@echo "make test-fast - the same without the tests marked slow (over ~5 s each)"
	@echo "make bench  - benchmark transform/process/load against the baselines; writes docs/benchmarks.md"
	@echo "make lint   - ruff and mypy"
	@echo "make synth  - package the Lambda layers and Glue wheel (no Docker), synthesise the AWS stack, cdk-nag, cfn-lint"

# The demo needs flightpipe alone; the tests, the bench and the AWS build need every extra (Spark, CDK, moto, ...).
$(VENV)/.core: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed: $(VENV)/.core
	$(PY) -m pip install --quiet -e '.[dev,bench,postgres,aws,spark,infra,ui]'
	@touch $@

venv: $(VENV)/.installed

demo: $(VENV)/.core
	FLIGHTPIPE__DATA_DIR=$(DEMO_DIR) $(FP) backfill --start $(DEMO_START) --end $(DEMO_END)
	@echo
	FLIGHTPIPE__DATA_DIR=$(DEMO_DIR) $(FP) summary --start $(DEMO_START) --end $(DEMO_END)
	@echo
	@echo "Data (raw/, transformed/, processed/, quarantine/): $(abspath $(DEMO_DIR))"
	@echo "Warehouse (DuckDB):                                $(abspath $(DEMO_DIR))/warehouse.duckdb"
	@echo "Run history (SQLite):                              $(abspath $(DEMO_DIR))/ledger.sqlite"
	@echo "To type flightpipe without the path: source $(VENV)/bin/activate (or add $(abspath $(VENV))/bin to PATH)"
	@echo "Past runs:   $(FP) runs"
	@echo "Try a query:"
	@echo "  $(FP) sql \"$(DEMO_QUERY)\""
	@FLIGHTPIPE__DATA_DIR=$(DEMO_DIR) $(FP) sql "$(DEMO_QUERY)"
	@echo
	@echo "The daily report with charts (open it in a browser; a run writes one beside the data, a backfill one for its last day):"
	@FLIGHTPIPE__DATA_DIR=$(DEMO_DIR) $(FP) report --date $(DEMO_END)

test: venv postgres chromium java node
	$(PY) -m pytest -n auto

# The warehouse tests start a throwaway PostgreSQL cluster; install the server when initdb is missing (Debian).
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

chromium:
	@test -x /usr/bin/chromium || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The Glue job's tests run pyspark 3.5, which needs a Java 17 runtime; the CDK synth needs Node.
java:
	@command -v java >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }

node:
	@command -v node >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs >/dev/null; }

test-fast: venv postgres chromium java node
	$(PY) -m pytest -n auto -m "not slow"

# AWS: Lambda layers and the Glue wheel from manylinux wheels (no Docker), then the CloudFormation template
# (offline once the wheels are there), cdk-nag AwsSolutions checks and cfn-lint. `cd infra && cdk deploy` deploys it.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 1
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1

# Every file of the package at any depth (sources/<api>/, warehouse/<engine>/, aws/handlers/, data files):
# a change anywhere rebuilds the layers and the Glue wheel.
infra/build/sizes.json: venv $(shell find src/flightpipe -type f -not -path "*/__pycache__/*")
	cd infra && ../$(PY) -m flightpipe_infra.packaging

package: infra/build/sizes.json

synth: venv node package
	cd infra && CDK_OUTDIR=cdk.out ../$(PY) app.py
	$(VENV)/bin/cfn-lint --ignore-checks W3005 -- infra/cdk.out/Flightpipe-*.template.json
	@echo "templates: infra/cdk.out/Flightpipe-<stage>.template.json, one per stage of infra/cdk.json  (Lambda sizes, MB unzipped: infra/build/sizes.json)"

bench: venv
	$(PY) bench/run.py --days 30 --out docs/benchmarks.md

lint: venv
	$(PY) -m ruff check src tests bench infra
	$(PY) -m mypy

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache bench/work
