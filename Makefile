# Hälsoval backend. `make run` and `make test` work on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SIZE ?= rjh

.PHONY: run test install lint typecheck bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install ## migrate, load the demo region (DEMO=1) and start all three services
	$(BIN)/halsoval run

test: install lint ## lint, types, then the whole suite (HALSOVAL_TEST_DB=postgres selects PostgreSQL)
	$(BIN)/python -m pytest -n 2 --dist loadfile -q $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check shared services tests bench
	$(BIN)/ruff format --check shared services tests bench
	$(BIN)/mypy shared services

bench: install ## make bench SIZE=rjh|stockholm|sweden (PostgreSQL)
	@command -v wrk >/dev/null || (command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && \
	  (apt-get install -y -qq wrk || (apt-get update -qq && apt-get install -y -qq wrk))) || \
	  echo "wrk is not installed: statement fetch falls back to a slower Python load generator"
	$(BIN)/python -m bench.run --size $(SIZE)

clean:
	rm -rf var .pytest_cache
