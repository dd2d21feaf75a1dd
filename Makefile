# omnihub: `make demo` and `make test` are all a newcomer needs.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
DBT := $(abspath $(VENV))/bin/dbt
MANIFEST := dbt_project/target/manifest.json
PEOPLE ?= 1000

.PHONY: install manifest demo test test-scale ui lint lint-sql format bench bench-celery clean

## install: create or update the virtualenv in .venv from the pinned lock file
install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[dev,celery]"
	@touch $@

## manifest: parse the dbt project (no database needed) so Dagster can load it
manifest: install
	cd dbt_project && $(DBT) parse --profiles-dir . --quiet

## demo: sandbox world + emulator, the main Dagster job end to end on DuckDB, a summary
demo: manifest
	$(PY) -m sandbox demo --people $(PEOPLE)

## test: pytest (unit, integration against the sandbox, end to end through Dagster + dbt build)
test: manifest
	$(PY) -m pytest; status=$$?; if [ $$status -eq 5 ]; then echo "pytest: no tests collected"; exit 0; fi; exit $$status

## test-scale: the same 1k-people world built by dbt on Spark (dbt-spark session, local pyspark, Java 17)
## and compared with DuckDB, and the daily job on two Celery workers (RabbitMQ or Redis, Dagster on
## PostgreSQL) compared with the in-process run (pytest -m scale tests/scale); installs the `spark`
## and `celery` extras. A missing Java, broker or PostgreSQL skips its test with the reason.
test-scale: manifest
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[dev,spark,celery]"
	$(PY) -m pytest -m scale tests/scale

## ui: the Dagster UI on the sandbox world (http://127.0.0.1:3000)
ui: manifest
	$(PY) -m sandbox ui --people $(PEOPLE)

## lint: ruff (Python); sqlfluff on the SQL dbt compiles for DuckDB and for PostgreSQL
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(MAKE) --no-print-directory lint-sql

LINT_DIR := $(abspath dbt_project/target/lint)
lint-sql: install
	cd dbt_project && OMNIHUB_DUCKDB_PATH=$(LINT_DIR)/compile.duckdb $(DBT) compile --profiles-dir . --quiet --target-path $(LINT_DIR)/duckdb
	$(VENV)/bin/sqlfluff lint --config $(abspath dbt_project/.sqlfluff) --templater raw --dialect duckdb --processes 1 $(LINT_DIR)/duckdb/compiled
	@if $(PY) -c "import psycopg; psycopg.connect('host=$${OMNIHUB_PG_HOST:-127.0.0.1} port=$${OMNIHUB_PG_PORT:-5432} user=$${OMNIHUB_PG_USER:-postgres} dbname=$${OMNIHUB_PG_DATABASE:-postgres}', connect_timeout=3).close()" 2>/dev/null; then \
		cd dbt_project && OMNIHUB_DBT_TARGET=postgres $(DBT) compile --profiles-dir . --quiet --target-path $(LINT_DIR)/postgres && \
		cd .. && $(VENV)/bin/sqlfluff lint --config $(abspath dbt_project/.sqlfluff) --templater raw --dialect postgres --processes 1 $(LINT_DIR)/postgres/compiled; \
	else echo "lint-sql: PostgreSQL not reachable (OMNIHUB_PG_HOST/PORT); the PostgreSQL dialect pass is skipped"; fi

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## bench-celery: the daily job with 1 and then 2 Celery workers on one world (PEOPLE, default 1000)
bench-celery: manifest
	$(PY) benchmarks/celery_workers.py --people $(PEOPLE)

## bench: every benchmark at 100k and 1M people into benchmarks/RESULTS.md (hours; SIZES="100000" for less)
SIZES ?= 100000 1000000
bench: manifest
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[dev,bench,spark,celery]"
	$(PY) benchmarks/suite.py --sizes $(SIZES)

clean:
	rm -rf data dbt_project/target dbt_project/logs
