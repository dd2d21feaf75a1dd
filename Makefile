# omnihub: `make demo` and `make test` are all a newcomer needs.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
DBT := $(abspath $(VENV))/bin/dbt
MANIFEST := dbt_project/target/manifest.json
PEOPLE ?= 1000

.PHONY: install manifest demo test ui lint format bench clean

## install: create or update the virtualenv in .venv from the pinned lock file
install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[dev]"
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

## ui: the Dagster UI on the sandbox world (http://127.0.0.1:3000)
ui: manifest
	$(PY) -m sandbox ui --people $(PEOPLE)

## lint: ruff (Python)
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## bench: benchmarks that print figures (see benchmarks/); installs the peers they compare with
bench: manifest
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[dev,bench]"
	$(PY) benchmarks/generate_world.py --people 1000 100000
	$(PY) benchmarks/ingest.py --people 100000
	$(PY) benchmarks/normalization_agreement.py --people 100000
	$(PY) benchmarks/identity_quality.py --people 100000 --seed 7 11 23
	$(PY) benchmarks/build.py --people 100000 --targets duckdb postgres

clean:
	rm -rf data dbt_project/target dbt_project/logs
