# Recovery Bridge. `make run` starts everything; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Where `make run` serves; links in emails follow unless SITE_URL is set.
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT
SITE_URL ?= http://$(HOST):$(PORT)
# Exported so the worker and beat build links to the web server, not to their own honcho port.
export SITE_URL

.DEFAULT_GOAL := help
.PHONY: help run test bench lint format audit migrate demo clean

help:
	@echo "make run    - install, migrate, load the demo practice, start web + worker + beat"
	@echo "              (HOST=0.0.0.0 PORT=8080 make run to serve elsewhere)"
	@echo "make test   - run the whole test suite (pytest)"
	@echo "make bench  - run the benchmarks in tests/bench (PostgreSQL if DATABASE_URL is set); writes tests/bench/RESULTS.md"
	@echo "make lint   - ruff check and format check"
	@echo "make format - ruff format and fix imports"
	@echo "make audit  - known vulnerabilities in the pinned requirements (pip-audit, PyPI's service)"

# The virtualenv is brought up to date only when a requirements file changes. Development
# installs both files; a server installs requirements.txt alone (README, "Deploying").
$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Recovery Bridge needs Python 3.11 or newer ($(PYTHON) is older)."; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py seed_demo

run: demo
	@echo "Starting web ($(SITE_URL)), Celery worker and beat. Ctrl-C stops all three."
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start --port $(PORT)

# One pytest process per core (pytest-xdist), each with its own test database; TEST_WORKERS=0
# runs everything in this process, which a debugger or `-x` on one failure may prefer.
TEST_WORKERS ?= auto
test: $(STAMP)
	$(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# Benchmarks are not tests: pyproject's addopts ignore tests/bench, so reset them here.
bench: $(STAMP)
	$(BIN)/pytest tests/bench -o addopts="-p no:cacheprovider" -o python_files="bench_*.py" -q -s

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix --select I .
	$(BIN)/ruff format .

# Fails on a vulnerability that a newer release fixes, and when a pin could not be checked;
# one with no fix yet is a warning (.ci/audit says why).
audit: $(STAMP)
	$(BIN)/python .ci/audit

clean:
	rm -rf var/
